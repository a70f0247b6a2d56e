// The "longest time without an answer" the under-load tests print around a VIP
// move: completions inside the window count, and the window ends when the
// probe's last request ended (the probe stopping is not the cluster being silent).
import { describe, expect, it } from "vitest";
import type { RequestRecord } from "../../src/probe/types.js";
import { longestSilenceMs } from "./support/under-load.js";

const answered = (startMs: number, latencyMs: number): RequestRecord => ({
  index: 0,
  dueMs: startMs,
  startMs,
  latencyMs,
  outcome: "answered",
  connection: 0,
});

describe("longestSilenceMs", () => {
  it("is the longest gap between completions inside the window", () => {
    const requests = [answered(0, 50), answered(100, 50), answered(200, 2050), answered(300, 50)];
    // Completions at 50, 150, 350, 2250: the gap 350 → 2250 is the longest.
    expect(longestSilenceMs({ requests }, 0, 2300)).toBe(1900);
  });

  it("ends the window when the last request ended, not later", () => {
    const requests = [answered(0, 50), answered(100, 50), answered(200, 50)];
    // Without the clamp the window's tail (250 → 10000) would read as 9.75 s of silence.
    expect(longestSilenceMs({ requests }, 0, 10_000)).toBe(100);
  });

  it("counts a window with no completion at all as silent throughout", () => {
    const requests = [answered(0, 5000), answered(1000, 5000)];
    expect(longestSilenceMs({ requests }, 500, 3000)).toBe(2500);
  });
});
