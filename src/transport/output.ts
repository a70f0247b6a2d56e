// Output handling shared by the transports: exact bytes (no trimming, UTF-8
// decoded once at the end so multi-byte characters split across chunks survive)
// and recognising coreutils `timeout` kills.
import { TIMEOUT_EXIT_CODE } from "./wrap-command.js";

export interface OutputCollector {
  readonly onStdout: (chunk: Buffer) => void;
  readonly onStderr: (chunk: Buffer) => void;
  result(): { stdout: string; stderr: string };
}

export function collectOutput(): OutputCollector {
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  return {
    onStdout: (chunk) => stdout.push(chunk),
    onStderr: (chunk) => stderr.push(chunk),
    result: () => ({
      stdout: Buffer.concat(stdout).toString("utf8"),
      stderr: Buffer.concat(stderr).toString("utf8"),
    }),
  };
}

/**
 * True when `timeout` ended the command: exit 124 (TERM worked) or 128+9
 * (KILL after the grace period, 128+9), and the time limit really passed — a
 * command may exit 124 on its own.
 */
export function timedOutRemotely(code: number | null, startedMs: number, timeoutSec: number): boolean {
  if (code !== TIMEOUT_EXIT_CODE && code !== 128 + 9) return false;
  return performance.now() - startedMs >= timeoutSec * 1000 - 50;
}
