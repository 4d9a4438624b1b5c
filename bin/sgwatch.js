#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm run build` (run by `npm ci`
// through the prepare script), so `npx sgwatch` works in a fresh clone.
import("../dist/src/cli/main.js").then(
  (cli) => cli.runCli(),
  (err) => {
    if (err && err.code === "ERR_MODULE_NOT_FOUND" && String(err.message).includes("cli/main.js")) {
      process.stderr.write("sgwatch: not built yet. Run `npm ci` (or `npm run build`) first.\n");
      process.exit(2);
    }
    throw err;
  },
);
