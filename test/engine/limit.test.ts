import { describe, expect, it } from "vitest";
import { mapBounded } from "../../src/engine/limit.js";

describe("mapBounded", () => {
  it("never runs more than the limit at once, and keeps input order", async () => {
    let active = 0;
    let peak = 0;
    const out = await mapBounded(
      Array.from({ length: 20 }, (_, i) => i),
      3,
      async (i) => {
        active++;
        peak = Math.max(peak, active);
        await new Promise((r) => setTimeout(r, (i % 4) * 3));
        active--;
        return i * 2;
      },
    );
    expect(peak).toBe(3);
    expect(out).toEqual(Array.from({ length: 20 }, (_, i) => i * 2));
  });
});
