#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm run build` (run by `npm ci`
// through the prepare script), so `npx sgwatch` works in a fresh clone.

// The AWS SDK prints a 7-line notice on Node 20 ("releases after January 2027
// will require node >=22") the first time a client is made, i.e. on every
// start. sgwatch supports Node 20 through its lockfile (README), so the notice
// is not news to its operators. Set before the SDK loads; a value the user
// set themselves wins.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

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
