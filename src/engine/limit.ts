// Bounded parallelism for hosts (--forks).
import { Semaphore } from "../util/semaphore.js";

/** Runs `fn` over items with at most `limit` in flight; results keep input order. */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const gate = new Semaphore(limit);
  return Promise.all(items.map((item) => gate.with(() => fn(item))));
}
