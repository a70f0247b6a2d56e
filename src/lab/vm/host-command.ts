// Runs a program on the machine (never through a shell) and returns its output.
import { execFile } from "node:child_process";

export interface HostCommandResult {
  readonly stdout: string;
  readonly stderr: string;
}

/** Run argv; reject with stderr in the message when it exits non-zero. */
export function runHost(
  argv: readonly string[],
  opts: { cwd?: string; timeoutMs?: number } = {},
): Promise<HostCommandResult> {
  const [program, ...args] = argv;
  if (!program) return Promise.reject(new Error("runHost: empty argv"));
  return new Promise((resolvePromise, reject) => {
    execFile(
      program,
      args,
      { cwd: opts.cwd, timeout: opts.timeoutMs ?? 600_000, maxBuffer: 64 * 1024 * 1024, encoding: "utf8" },
      (error, stdout, stderr) => {
        if (error) {
          reject(new Error(`${argv.join(" ")} failed: ${error.message}\n${stderr}`.trim()));
          return;
        }
        resolvePromise({ stdout, stderr });
      },
    );
  });
}
