// A counting semaphore: bounds parallel hosts (--forks) and channels per connection.
export class Semaphore {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`capacity must be >= 1, got ${capacity}`);
  }

  async use<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active < this.capacity) this.active++;
    // The releasing holder hands its slot straight to us, so `active` stays exact.
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}

/** Runs `fn` over items with at most `limit` in flight; results keep input order. */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const gate = new Semaphore(limit);
  return Promise.all(items.map((item) => gate.use(() => fn(item))));
}
