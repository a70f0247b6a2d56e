// The exit code of a run, from its outcome (error exit codes: src/errors.ts).
import type { RunOutcome } from "../engine/run.js";
import { ExitCode } from "../errors.js";

export { ExitCode } from "../errors.js";

/** Failures outrank drift: an operator must look at a failed host first. */
export function exitCodeFor(outcome: RunOutcome, mode: { check: boolean }): ExitCode {
  const hosts = Object.values(outcome.recap);
  if (outcome.aborted || hosts.some((h) => h.failed > 0 || h.unreachable > 0)) return ExitCode.hostsFailed;
  if (mode.check && hosts.some((h) => h.changed > 0)) return ExitCode.drift;
  return ExitCode.ok;
}
