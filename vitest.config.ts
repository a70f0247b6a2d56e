import { defineConfig } from "vitest/config";

// Test files run one after another: integration tests build real namespace
// hosts and labs, and only one lab may exist at a time.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 180_000,
    reporters: ["default", "./test/support/summary-reporter.ts"],
  },
});
