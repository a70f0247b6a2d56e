// Builds the audit report from a check-mode run: per host its drift items,
// failed checks and errors; the exit code comes from the one place that
// decides exit codes, so `audit` and `apply --check` never disagree.
import type { TaskResult } from "../engine/events.js";
import type { RunOutcome } from "../engine/run.js";
import { hostDriftItems } from "./classify.js";
import { AUDIT_SCHEMA_VERSION, type AuditReport, type FailedCheck, type HostAudit } from "./report.js";

export interface ReportInput {
  readonly outcome: RunOutcome;
  /** Hosts audited, in inventory order. */
  readonly hosts: readonly string[];
  /** Why each unreachable host could not be reached. */
  readonly unreachable: Readonly<Record<string, string>>;
  readonly exitCode: 0 | 2 | 3;
  readonly inventory: string;
  readonly playbook: string;
  readonly toolVersion: string;
  readonly durationMs: number;
  readonly finishedAt: Date;
}

/** Failing checks of the tasks that ended with `status` (failed, or skipped because drift was pending). */
const failingChecks = (results: readonly TaskResult[], status: TaskResult["status"]): FailedCheck[] =>
  results
    .filter((r) => r.status === status)
    .flatMap((r) =>
      r.checks
        .filter((c) => c.status === "fail")
        .map((c) => ({ task: r.task, name: c.name, detail: c.detail })),
    );

function hostAudit(host: string, results: readonly TaskResult[], input: ReportInput): HostAudit {
  const recap = input.outcome.recap[host];
  const failedChecks = failingChecks(results, "failed");
  const unverifiedChecks = failingChecks(results, "skipped");
  const errors = results
    .filter((r) => r.status === "failed" && !r.checks.some((c) => c.status === "fail") && r.error)
    .map((r) => `${r.task}: ${r.error}`);
  const reason = input.unreachable[host];
  if (reason) errors.push(reason);
  const drift = hostDriftItems(results);
  const status =
    (recap?.unreachable ?? 0) > 0 || reason
      ? "unreachable"
      : (recap?.failed ?? 0) > 0
        ? "failed"
        : drift.length > 0
          ? "drift"
          : "clean";
  return { status, drift, failedChecks, unverifiedChecks, errors };
}

export function buildAuditReport(input: ReportInput): AuditReport {
  const hosts: Record<string, HostAudit> = {};
  for (const host of input.hosts) {
    const results = input.outcome.results.filter((r) => r.host === host);
    hosts[host] = hostAudit(host, results, input);
  }
  const all = Object.values(hosts);
  const count = (s: HostAudit["status"]) => all.filter((h) => h.status === s).length;
  return {
    schemaVersion: AUDIT_SCHEMA_VERSION,
    tool: "lvsplay",
    toolVersion: input.toolVersion,
    generatedAt: input.finishedAt.toISOString(),
    durationMs: input.durationMs,
    inventory: input.inventory,
    playbook: input.playbook,
    exitCode: input.exitCode,
    summary: {
      hosts: all.length,
      clean: count("clean"),
      drifted: count("drift"),
      failed: count("failed"),
      unreachable: count("unreachable"),
      driftItems: all.reduce((n, h) => n + h.drift.length, 0),
    },
    hosts,
    cost: input.outcome.stats,
  };
}
