// Waiting inside the lab: on a busy machine, and above all inside an emulated
// guest, anything can take minutes. So no tight fixed timeouts: a wait polls
// until the thing is there, gives up at once when what it waits on is gone
// (a process exited), and otherwise only after a generous limit that guards
// against a hang. Every failure says what was waited for and for how long.

export interface WaitOptions {
  /** Hang guard, not an expectation: the wait normally ends long before. */
  readonly limitMs: number;
  readonly intervalMs?: number;
  /** A reason to stop waiting now (e.g. "sshd exited: …"), or undefined to go on. */
  readonly gaveUp?: () => string | undefined | Promise<string | undefined>;
}

export class WaitError extends Error {
  override readonly name = "WaitError";
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** Polls `probe` until it returns a value; resolves with it and the time waited. */
export async function waitUntil<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  opts: WaitOptions,
): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined) return { value, ms: Date.now() - started };
    const reason = await opts.gaveUp?.();
    if (reason !== undefined)
      throw new WaitError(`gave up waiting for ${what} after ${seconds(Date.now() - started)}: ${reason}`);
    if (Date.now() - started > opts.limitMs)
      throw new WaitError(`${what}: still not there after ${seconds(Date.now() - started)} (limit)`);
    await sleep(opts.intervalMs ?? 50);
  }
}

/**
 * Hang guard for one command inside the lab (a lab host's setup, node-boot,
 * keygen…). Generous on purpose: under emulation on a loaded 2-core machine a
 * command that takes 1 s natively can take a minute; a real hang still ends.
 */
export const LAB_COMMAND_LIMIT_MS = 15 * 60_000;
