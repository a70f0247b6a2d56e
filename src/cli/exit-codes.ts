// Exit codes are decided here and nowhere else (documented in README.md).
import type { RunOutcome } from "../engine/run.js";

export const ExitCode = {
  /** Success; in check/audit mode: nothing pending. */
  ok: 0,
  /** Invalid input, usage or internal error — no host was touched. */
  invalid: 1,
  /** Check/audit mode: changes are pending (drift). */
  drift: 2,
  /** One or more hosts failed or were unreachable. */
  hostsFailed: 3,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Failures outrank drift: an operator must look at a failed host first. */
export function exitCodeFor(outcome: RunOutcome, mode: { check: boolean }): ExitCode {
  const hosts = Object.values(outcome.recap);
  if (outcome.aborted || hosts.some((h) => h.failed > 0 || h.unreachable > 0)) return ExitCode.hostsFailed;
  if (mode.check && hosts.some((h) => h.changed > 0)) return ExitCode.drift;
  return ExitCode.ok;
}
