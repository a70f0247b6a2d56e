// Prints the plain closing line CI reads: "N passed, N failed" (", N skipped" when any).
import type { Reporter, TestModule } from "vitest/node";

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const mod of testModules) {
      // A failed file whose tests did not run (its beforeAll failed) reports
      // them as skipped: they failed, and must never read as "0 failed".
      const fileFailed = mod.state() === "failed";
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === "passed") passed++;
        // (Tests left out by a -t filter have mode "skip": those are skipped.)
        else if (state === "failed" || (fileFailed && test.options.mode === "run")) failed++;
        else skipped++;
      }
      // A file that failed to load has no tests but must count as a failure.
      if (mod.state() === "failed" && [...mod.children.allTests()].length === 0) failed++;
    }
    failed += unhandledErrors.length;
    const tail = skipped > 0 ? `, ${skipped} skipped` : "";
    process.stdout.write(`\n${passed} passed, ${failed} failed${tail}\n`);
  }
}
