// A FIFO counting semaphore: bounds how many SSH channels one connection opens
// at once (sshd refuses channels beyond MaxSessions, default 10).

export class Semaphore {
  private available: number;
  private readonly waiters: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
  private failure: Error | undefined;

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`semaphore size must be >= 1, got ${size}`);
    this.available = size;
  }

  /** Resolves when a slot is free; rejects once `fail` was called. */
  acquire(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.available > 0) {
      this.available -= 1;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  release(): void {
    const next = this.waiters.shift();
    if (next) next.resolve();
    else this.available = Math.min(this.size, this.available + 1);
  }

  /** Reject every waiter and every future `acquire` with `error`. */
  fail(error: Error): void {
    this.failure ??= error;
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }

  /** Run `task` while holding a slot. */
  async with<T>(task: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await task();
    } finally {
      this.release();
    }
  }
}
