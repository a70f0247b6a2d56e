import { defineConfig } from "vitest/config";

// Test files run two at a time. Every file that builds namespace hosts or a lab
// reserves names and a subnet of its own (test/support/lab-topology.ts), so
// files never share a lab; the VM tier's guests each get their own ports.
// Tests wait on progress, never on tight fixed timeouts: the machine is busy.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    fileParallelism: true,
    maxWorkers: 2,
    // Backstops for a hung test, not measurements: tests wait on progress with
    // bounds of their own that say what they waited for. A whole e2e test
    // (apply, audits, a repair) can take minutes on a 2-core machine at load 20.
    testTimeout: 300_000,
    hookTimeout: 600_000,
    reporters: ["default", "./test/support/summary-reporter.ts"],
  },
});
