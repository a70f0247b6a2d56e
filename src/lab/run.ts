// Runs a local program by argv (no shell) and collects its output.
import { spawn } from "node:child_process";
import type { Readable } from "node:stream";
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
  const child = spawn(program, args, {
    stdio: ["pipe", "pipe", "pipe"],
    env: opts.env ?? process.env,
    ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
    timeout: limitMs,
    killSignal: "SIGKILL",
  });
  const result = collectOutput(child).then((r): RunResult => {
    const ms = Date.now() - started;
    const killed = r.code === null && child.signalCode === "SIGKILL" && ms >= limitMs;
    return { ...r, ...(killed ? { timedOutMs: ms } : {}) };
  });
  child.stdin.on("error", () => {}); // the program may exit without reading stdin
  child.stdin.end(opts.stdin ?? "");
  return result;
}

/** What collectOutput needs of a child process (a ChildProcess; a stand-in in unit tests). */
export interface OutputSource {
  readonly stdout: Readable;
  readonly stderr: Readable;
  on(event: "error", listener: (error: Error) => void): unknown;
  on(event: "exit" | "close", listener: (code: number | null) => void): unknown;
}

/** A daemon that inherited the pipes gets this long after the command exited before they are given up. */
const PIPE_GRACE_MS = 500;

/**
 * The command's output and exit status: everything it wrote, once its pipes
 * closed. A daemon started by the command may keep the pipes open forever (an
 * `exec` line that backgrounds a server without redirecting it): once the
 * command itself exited, the pipes are given up after PIPE_GRACE_MS — but only
 * after a turn of the event loop that polled them and found nothing new. The
 * exit can be seen before output the command wrote *before* exiting has been
 * read (the exit is reaped while other children's events are handled; the
 * output comes with the next poll), and timers run before polling in each
 * turn: on a busy machine a plain timer fired first and dropped that output
 * (day2-limit's snapshots saw `cat` exit 1 with no message, `sysctl` exit 0
 * with nothing printed).
 */
export function collectOutput(child: OutputSource): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    let done = false;
    const finish = (code: number | null) => {
      if (done) return;
      done = true;
      resolve({ stdout, stderr, code });
    };
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => finish(code));
    child.on("exit", (code) => {
      setTimeout(() => {
        let seen = -1;
        // A daemon that keeps writing to the pipes is not waited for forever either.
        const latest = Date.now() + 20 * PIPE_GRACE_MS;
        const settle = () => {
          if (done) return;
          const now = stdout.length + stderr.length;
          if (now !== seen && Date.now() < latest) {
            // Something arrived since the last look (or this is the first): poll once more.
            seen = now;
            setImmediate(settle);
            return;
          }
          child.stdout.destroy();
          child.stderr.destroy();
          finish(code);
        };
        settle();
      }, PIPE_GRACE_MS).unref();
    });
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
