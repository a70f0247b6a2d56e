import { describe, expect, it } from "vitest";
import { Semaphore } from "../../src/util/semaphore.js";

describe("Semaphore", () => {
  it("never lets more than `size` tasks run at once and runs them all", async () => {
    const sem = new Semaphore(3);
    let running = 0;
    let peak = 0;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        sem.with(async () => {
          running += 1;
          peak = Math.max(peak, running);
          await new Promise((resolve) => setTimeout(resolve, 2));
          running -= 1;
          return i;
        }),
      ),
    );
    expect(peak).toBe(3);
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it("releases the slot when a task throws", async () => {
    const sem = new Semaphore(1);
    await expect(sem.with(() => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    await expect(sem.with(async () => "ok")).resolves.toBe("ok");
  });

  it("rejects waiters and later acquires after fail()", async () => {
    const sem = new Semaphore(1);
    await sem.acquire();
    const waiting = sem.acquire();
    sem.fail(new Error("dead"));
    await expect(waiting).rejects.toThrow("dead");
    await expect(sem.acquire()).rejects.toThrow("dead");
  });

  it("rejects invalid sizes", () => {
    expect(() => new Semaphore(0)).toThrow();
  });
});
