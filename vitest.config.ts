import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Integration tests start servers and child processes; two cores, so keep
    // the pool small rather than thrash.
    maxWorkers: 2,
    // CI also writes a JSON report, from which .ci/run prints a plain
    // "N passed, N failed" closing line.
    ...(process.env.CI ? { reporters: ["default", "json"], outputFile: { json: "test-results.json" } } : {}),
  },
});
