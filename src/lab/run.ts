// Runs a local program by argv (no shell) and collects its output.
import { spawn } from "node:child_process";
import { LAB_COMMAND_LIMIT_MS, seconds } from "./wait.js";

export interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
  /** Exit status; null when killed by a signal (e.g. the timeout). */
  readonly code: number | null;
  /** Set when the hang guard (timeoutMs) killed the program. */
  readonly timedOutMs?: number;
}

export interface RunOptions {
  readonly stdin?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Hang guard (default LAB_COMMAND_LIMIT_MS): the program is killed after this long. */
  readonly timeoutMs?: number;
  readonly cwd?: string;
}

/** A clean PATH for everything run inside lab hosts (the machine's may hold pyenv shims). */
export const SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export function run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const [program, ...args] = argv;
  if (!program) throw new Error("run: empty argv");
  const limitMs = opts.timeoutMs ?? LAB_COMMAND_LIMIT_MS;
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, {
      stdio: ["pipe", "pipe", "pipe"],
      env: opts.env ?? process.env,
      ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
      timeout: limitMs,
      killSignal: "SIGKILL",
    });
    let stdout = "";
    let stderr = "";
    const result = (code: number | null): RunResult => {
      const ms = Date.now() - started;
      const killed = code === null && child.signalCode === "SIGKILL" && ms >= limitMs;
      return { stdout, stderr, code, ...(killed ? { timedOutMs: ms } : {}) };
    };
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve(result(code)));
    // A daemon started by the command may keep our pipes open forever (an `exec`
    // line that backgrounds a server without redirecting it): once the command
    // itself exited, wait briefly for the pipes, then stop reading them.
    child.on("exit", (code) => {
      setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        resolve(result(code));
      }, 500).unref();
    });
    child.stdin.on("error", () => {}); // the program may exit without reading stdin
    child.stdin.end(opts.stdin ?? "");
  });
}

/** Like run, but a non-zero exit is an error carrying the command and its stderr. */
export async function must(argv: readonly string[], opts: RunOptions = {}): Promise<string> {
  const result = await run(argv, opts);
  if (result.code !== 0)
    throw new Error(`${argv.join(" ")} failed (${exitText(result)}): ${result.stderr.trim()}`);
  return result.stdout;
}

/** "exit 3", "killed", or "still running after 900.0 s: killed" — for error messages. */
export function exitText(result: RunResult): string {
  if (result.timedOutMs !== undefined) return `still running after ${seconds(result.timedOutMs)}: killed`;
  return result.code === null ? "killed" : `exit ${result.code}`;
}
