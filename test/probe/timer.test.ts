// The probe's timeouts never fire early: a request reported timed out after
// 300 ms had waited 300 ms (Node's timers count in whole milliseconds and can
// fire up to about 1.5 ms before the delay, by performance.now()).
import { describe, expect, it } from "vitest";
import { timerAtLeast } from "../../src/probe/timer.js";

const busy = (ms: number) => {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // The loop's cached clock stays where this turn began.
  }
};

describe("timerAtLeast", () => {
  it("fires no earlier than its delay by performance.now(): 200 timers of 7.5 ms in a row", async () => {
    // Plain setTimeout(7.5) fired early in 164 of 200 here (as soon as 6.2 ms): Node counts in whole ms.
    let earliest = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 200; i++) {
      const armed = performance.now();
      const fired = await new Promise<number>((resolve) =>
        timerAtLeast(7.5, () => resolve(performance.now())),
      );
      earliest = Math.min(earliest, fired - armed);
    }
    expect(earliest).toBeGreaterThanOrEqual(7.5);
  });

  it("clear() stops it, also after a re-arm", async () => {
    let fired = false;
    await new Promise((r) => setTimeout(r, 0));
    busy(30);
    const t = timerAtLeast(40, () => {
      fired = true;
    });
    await new Promise((r) => setTimeout(r, 20)); // past the first (early) arm's due time
    t.clear();
    await new Promise((r) => setTimeout(r, 80));
    expect(fired).toBe(false);
  });
});
