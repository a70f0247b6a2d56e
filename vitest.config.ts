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
    testTimeout: 30_000,
    hookTimeout: 180_000,
    reporters: ["default", "./test/support/summary-reporter.ts"],
  },
});
