import { describe, expect, it } from "vitest";
import { mapBounded, Semaphore } from "../../src/engine/limit.js";

describe("Semaphore", () => {
  it("never lets more than capacity run at once", async () => {
    const gate = new Semaphore(3);
    let active = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        gate.use(async () => {
          active++;
          peak = Math.max(peak, active);
          await new Promise((r) => setTimeout(r, (i % 4) * 3));
          active--;
        }),
      ),
    );
    expect(peak).toBe(3);
  });

  it("mapBounded keeps input order", async () => {
    const out = await mapBounded([5, 1, 3], 2, async (n) => {
      await new Promise((r) => setTimeout(r, n));
      return n * 2;
    });
    expect(out).toEqual([10, 2, 6]);
  });
});
