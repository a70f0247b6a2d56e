// Runs lvsplay itself, on the machine, against the guest's forwarded hosts —
// exactly as a user would: `node bin/lvsplay.js apply INVENTORY --json`.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";

const CLI = fileURLToPath(new URL("../../../bin/lvsplay.js", import.meta.url));

export interface HostRecap {
  readonly ok: number;
  readonly changed: number;
  readonly failed: number;
  readonly skipped: number;
  readonly unreachable: number;
}

export interface TaskResult {
  readonly host: string;
  readonly stage: string;
  readonly task: string;
  readonly op: string;
  readonly status: string;
  readonly checks: readonly { name: string; status: string; detail?: string }[];
  /** Why the task failed (the remote command's own words, or lvsplay's time-out note). */
  readonly error?: string;
  readonly durationMs: number;
}

/** A rolling apply's VIP hand-over (`--json` "drains"). */
export interface DrainRecord {
  readonly host: string;
  readonly phase: "drained" | "restored" | "not-needed" | "in-place";
  readonly vips: Readonly<Record<string, readonly string[]>>;
  readonly detail: string;
  readonly durationMs: number;
}

export interface ApplyRun {
  readonly code: number;
  readonly ms: number;
  readonly recap: Readonly<Record<string, HostRecap>>;
  readonly results: readonly TaskResult[];
  /** Host → why it could not be reached. */
  readonly unreachable: Readonly<Record<string, string>>;
  /** Present on rolling applies (`--serial`). */
  readonly drains: readonly DrainRecord[];
  readonly stderr: string;
}

export function runApply(inventory: string, extra: readonly string[] = []): Promise<ApplyRun> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [CLI, "apply", inventory, "--json", ...extra],
      // A hang guard: on a loaded machine a first apply on emulated hosts takes minutes.
      { encoding: "utf8", timeout: 3_600_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
        let doc: {
          recap: Record<string, HostRecap>;
          results: TaskResult[];
          unreachable?: Record<string, string>;
          drains?: DrainRecord[];
        };
        try {
          doc = JSON.parse(stdout);
        } catch {
          reject(
            new Error(`lvsplay apply (exit ${code}) printed no JSON:\n${stdout}\n${stderr.slice(-4000)}`),
          );
          return;
        }
        resolve({
          code,
          ms: Date.now() - started,
          recap: doc.recap,
          results: doc.results,
          unreachable: doc.unreachable ?? {},
          drains: doc.drains ?? [],
          stderr,
        });
      },
    );
  });
}

export const totalOf = (run: ApplyRun, key: keyof HostRecap): number =>
  Object.values(run.recap).reduce((sum, h) => sum + h[key], 0);

/** Every check of the verify stages, flattened: "host: check name → status (detail)". */
export function verifyChecks(run: ApplyRun): { line: string; status: string }[] {
  return run.results
    .filter((r) => r.op === "lvs.verify" || r.op === "lvs.verify_cluster")
    .flatMap((r) =>
      r.checks.map((c) => ({
        status: c.status,
        line: `${r.host}: ${c.name} → ${c.status} (${c.detail ?? ""})`,
      })),
    );
}

/** Changed tasks with their host, for a readable failure message on a non-idempotent run. */
export const changedTasks = (run: ApplyRun): string[] =>
  run.results.filter((r) => r.status === "changed").map((r) => `${r.host}: ${r.stage} / ${r.task}`);

/** Every failed task with its error and every unreachable host with its reason, one per line ("" if none). */
export function failures(run: ApplyRun): string {
  return [
    ...run.results
      .filter((r) => r.status === "failed")
      .map((r) => `${r.host}: ${r.stage} / ${r.task} (${r.op}) failed: ${r.error ?? "(no message)"}`),
    ...Object.entries(run.unreachable).map(([host, why]) => `${host}: unreachable: ${why}`),
  ].join("\n");
}

/** Wall time of each host's tasks of the given operations, for the record ("ds2 lvs.marks 48.1 s"). */
export function taskTimes(run: ApplyRun, ops: readonly string[]): string {
  return run.results
    .filter((r) => ops.includes(r.op))
    .map((r) => `${r.host} ${r.op} ${(r.durationMs / 1000).toFixed(1)} s (${r.status})`)
    .join("; ");
}
