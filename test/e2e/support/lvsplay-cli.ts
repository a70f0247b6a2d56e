// Runs the built CLI (`node bin/lvsplay.js …`) as a child process, the way an
// operator or cron would, and parses its --json result from stdout.
import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import type { Recap, TaskResult } from "../../../src/engine/events.js";
import { run } from "../../../src/lab/run.js";
import { REPO_ROOT } from "./e2e-lab.js";

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;
}

/** The object `apply --json` writes to stdout. */
export interface ApplyJson {
  readonly playbook: string;
  readonly check: boolean;
  readonly recap: Recap;
  readonly results: readonly TaskResult[];
  readonly durationMs: number;
}

export interface JsonRun extends CliRun {
  readonly json: ApplyJson;
}

const BIN = path.join(REPO_ROOT, "bin", "lvsplay.js");

/** The tests exercise dist/: say so loudly when src/ was edited after the last build. */
function warnIfDistIsStale(): void {
  const newest = (dir: string): number =>
    readdirSync(dir, { withFileTypes: true }).reduce((max, e) => {
      const p = path.join(dir, e.name);
      return Math.max(max, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
    }, 0);
  try {
    const built = statSync(path.join(REPO_ROOT, "dist", "cli", "main.js")).mtimeMs;
    if (newest(path.join(REPO_ROOT, "src")) > built)
      console.warn("[e2e] warning: src/ is newer than dist/ — run `npm run build` first");
  } catch {
    throw new Error("dist/ is missing: run `npm run build` before the e2e tests");
  }
}
warnIfDistIsStale();

export async function runLvsplay(
  args: readonly string[],
  timeoutMs = 120_000,
  env: Readonly<Record<string, string>> = {},
): Promise<CliRun> {
  const started = Date.now();
  const result = await run([process.execPath, BIN, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0", ...env },
    timeoutMs,
  });
  return { ...result, durationMs: Date.now() - started };
}

/** `lvsplay apply INVENTORY --json [extra…]`; fails with the CLI's stderr when stdout is not JSON. */
export async function applyJson(inventory: string, extra: readonly string[] = []): Promise<JsonRun> {
  const run = await runLvsplay(["apply", inventory, "--json", ...extra]);
  let json: ApplyJson;
  try {
    json = JSON.parse(run.stdout) as ApplyJson;
  } catch {
    throw new Error(
      `apply --json (exit ${run.code}) wrote no JSON on stdout:\n${run.stdout.slice(0, 2000)}\n--- stderr:\n${run.stderr.slice(-4000)}`,
    );
  }
  return { ...run, json };
}

/** Sums of the recap over all hosts. */
export function recapTotals(recap: Recap): { changed: number; failed: number; unreachable: number } {
  const hosts = Object.values(recap);
  const sum = (k: "changed" | "failed" | "unreachable") => hosts.reduce((n, h) => n + h[k], 0);
  return { changed: sum("changed"), failed: sum("failed"), unreachable: sum("unreachable") };
}

/** One line per task that did not end ok/skipped: the message a failing assertion should show. */
export function describeProblems(json: ApplyJson): string {
  return json.results
    .filter((r) => r.status !== "ok" && r.status !== "skipped")
    .map((r) => {
      const changes = r.changes.map((c) => c.summary).join("; ");
      const failed = r.checks.filter((c) => c.status === "fail").map((c) => `${c.name}: ${c.detail}`);
      return `${r.host} [${r.stage}] ${r.task}: ${r.status}${r.error ? ` — ${r.error}` : ""}${changes ? ` (${changes})` : ""}${failed.length ? ` ✗ ${failed.join("; ")}` : ""}`;
    })
    .join("\n");
}

/** "host op" (+ " handler") for every task that reported changed. */
export function changedTasks(json: ApplyJson): string[] {
  return json.results
    .filter((r) => r.status === "changed")
    .map((r) => `${r.host} ${r.op}${r.handler ? " handler" : ""}`)
    .sort();
}
