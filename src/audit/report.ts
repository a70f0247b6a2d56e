// The audit report: what `lvsplay audit` found, per host, as a stable,
// documented structure (`--json` prints it; the Prometheus textfile is derived
// from it). Bump AUDIT_SCHEMA_VERSION on any incompatible change.

export const AUDIT_SCHEMA_VERSION = 1;

import type { DriftKind, DriftSeverity } from "../engine/drift.js";
import type { RunStats } from "../engine/run-stats.js";

export { DRIFT_SEVERITIES, type DriftKind, type DriftSeverity } from "../engine/drift.js";

export interface DriftItem {
  readonly host: string;
  readonly kind: DriftKind;
  readonly severity: DriftSeverity;
  /** Operator language: what is wrong and what it risks. */
  readonly summary: string;
  /** What the inventory says should be there (null: nothing should be). */
  readonly expected: string | null;
  /** What the host has now (null: nothing is there). */
  readonly actual: string | null;
  /** What `lvsplay apply` would do about it. */
  readonly fix: string;
  /** Unified diff for files. */
  readonly diff?: string;
  readonly stage: string;
  readonly task: string;
}

export interface FailedCheck {
  readonly task: string;
  readonly name: string;
  readonly detail: string;
}

export type HostAuditStatus = "clean" | "drift" | "failed" | "unreachable";

export interface HostAudit {
  readonly status: HostAuditStatus;
  /** Sorted by severity, most urgent first. */
  readonly drift: readonly DriftItem[];
  readonly failedChecks: readonly FailedCheck[];
  /**
   * Checks that failed while drift was pending somewhere in the audit: they may
   * be consequences of that drift (so they do not make the audit exit 3), and
   * they may not. Shown so nothing fails unseen; re-checked by the next audit.
   */
  readonly unverifiedChecks: readonly FailedCheck[];
  /** Task errors and the unreachable reason. */
  readonly errors: readonly string[];
}

export interface AuditReport {
  readonly schemaVersion: typeof AUDIT_SCHEMA_VERSION;
  readonly tool: "lvsplay";
  readonly toolVersion: string;
  /** ISO 8601, when the audit finished. */
  readonly generatedAt: string;
  readonly durationMs: number;
  readonly inventory: string;
  readonly playbook: string;
  /** 0 clean, 2 drift, 3 a host failed or was unreachable (1 never produces a report). */
  readonly exitCode: 0 | 2 | 3;
  readonly summary: {
    readonly hosts: number;
    readonly clean: number;
    readonly drifted: number;
    readonly failed: number;
    readonly unreachable: number;
    readonly driftItems: number;
  };
  readonly hosts: Readonly<Record<string, HostAudit>>;
  /** What the audit cost per host: connections, round trips per stage, bytes. */
  readonly cost: RunStats;
}
