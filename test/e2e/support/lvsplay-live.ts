// Runs the built CLI as a child process whose output is watched while it runs:
// tests act on progress (send a signal after the k-th task started, once a VIP
// was handed over) instead of after fixed sleeps.
import { spawn } from "node:child_process";
import path from "node:path";
import { REPO_ROOT } from "./e2e-lab.js";

export interface LiveRun {
  readonly pid: number;
  /** Lines written so far (stdout and stderr interleaved as they came). */
  readonly lines: readonly string[];
  /** Resolves with the first line (from `from` on) matching `re`; rejects when the run ends or `timeoutMs` passes. */
  waitForLine(re: RegExp, timeoutMs?: number, from?: number): Promise<{ line: string; index: number }>;
  signal(sig: NodeJS.Signals): void;
  /** Exit code (128 + n when killed by signal n), with the output. */
  readonly done: Promise<{ code: number; stdout: string; stderr: string; durationMs: number }>;
}

const SIGNALS: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

export function startLvsplay(args: readonly string[], timeoutMs = 300_000): LiveRun {
  const started = Date.now();
  const child = spawn(process.execPath, [path.join(REPO_ROOT, "bin", "lvsplay.js"), ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  let stdout = "";
  let stderr = "";
  const waiters = new Set<() => void>();
  const feed = (chunk: Buffer, into: "out" | "err", partial: { rest: string }) => {
    const text = chunk.toString("utf8");
    if (into === "out") stdout += text;
    else stderr += text;
    const parts = (partial.rest + text).split("\n");
    partial.rest = parts.pop() ?? "";
    lines.push(...parts);
    for (const w of waiters) w();
  };
  const outRest = { rest: "" };
  const errRest = { rest: "" };
  child.stdout.on("data", (c: Buffer) => feed(c, "out", outRest));
  child.stderr.on("data", (c: Buffer) => feed(c, "err", errRest));
  const killer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  let ended = false;
  const done = new Promise<{ code: number; stdout: string; stderr: string; durationMs: number }>(
    (resolve) => {
      child.on("close", (code, signal) => {
        ended = true;
        clearTimeout(killer);
        for (const w of waiters) w();
        resolve({
          code: code ?? 128 + (signal ? (SIGNALS[signal] ?? 0) : 0),
          stdout,
          stderr,
          durationMs: Date.now() - started,
        });
      });
    },
  );
  return {
    pid: child.pid ?? -1,
    lines,
    done,
    signal: (sig) => {
      child.kill(sig);
    },
    waitForLine: (re, waitMs = 120_000, from = 0) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const index = lines.findIndex((l, i) => i >= from && re.test(l));
          if (index >= 0) {
            cleanup();
            resolve({ line: lines[index]!, index });
          } else if (ended) {
            cleanup();
            reject(
              new Error(
                `lvsplay ended before printing a line matching ${re}:\n${lines.slice(-40).join("\n")}`,
              ),
            );
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no line matching ${re} within ${waitMs} ms:\n${lines.slice(-40).join("\n")}`));
        }, waitMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      }),
  };
}
