// The audit as a node_exporter textfile-collector file (`--prom-file`), so the
// existing Prometheus alerting notices drift without parsing our logs. The file
// is rewritten after every audit; node_exporter reads it on every scrape.
import {
  closeSync,
  fchmodSync,
  fsyncSync,
  openSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { MAX_INPUT_BYTES } from "../config/yaml-limits.js";
import { FileReadError, readRegularFile } from "../util/read-regular-file.js";
import { type AuditReport, DRIFT_SEVERITIES, type HostAudit } from "./report.js";

type Labels = Readonly<Record<string, string>>;
export interface Family {
  readonly name: string;
  readonly help: string;
  /** Default gauge. */
  readonly type?: "gauge" | "counter";
  readonly samples: readonly { readonly labels: Labels; readonly value: number }[];
}

const LAST_SUCCESS = "lvsplay_audit_last_success_timestamp_seconds";

/** Label values: `\`, `"` and newline are the only escapes the format knows. */
function escapeLabelValue(value: string): string {
  return value.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(value);
}

export function renderFamily(family: Family): string {
  const lines = [
    `# HELP ${family.name} ${family.help.replaceAll("\\", "\\\\").replaceAll("\n", "\\n")}`,
    `# TYPE ${family.name} ${family.type ?? "gauge"}`,
  ];
  for (const { labels, value } of family.samples) {
    const pairs = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`);
    lines.push(`${family.name}${pairs.length > 0 ? `{${pairs.join(",")}}` : ""} ${formatValue(value)}`);
  }
  return lines.map((line) => `${line}\n`).join("");
}

/**
 * The exposition text for one audit. `previousLastSuccessSec` (from the file
 * this one replaces) keeps the last-success timestamp alive across failed runs,
 * which is what a "no clean audit for N hours" alert needs.
 */
export function renderPromFile(report: AuditReport, previousLastSuccessSec?: number): string {
  const generatedMs = Date.parse(report.generatedAt);
  if (!Number.isFinite(generatedMs)) {
    throw new Error(`audit report: generatedAt is not a timestamp: ${JSON.stringify(report.generatedAt)}`);
  }
  const runSec = generatedMs / 1000;
  const hosts = Object.entries(report.hosts);
  const perHost = (name: string, help: string, value: (h: HostAudit) => number): Family => ({
    name,
    help,
    samples: hosts.map(([host, audit]) => ({ labels: { host }, value: value(audit) })),
  });
  const bySeverity = new Map<string, number>(DRIFT_SEVERITIES.map((s) => [s, 0]));
  for (const [, audit] of hosts) {
    for (const item of audit.drift) bySeverity.set(item.severity, (bySeverity.get(item.severity) ?? 0) + 1);
  }

  const families: Family[] = [
    perHost("lvsplay_audit_drift_items", "Drift items found on the host.", (h) => h.drift.length),
    perHost(
      "lvsplay_audit_failed_checks",
      "Verify checks that failed on the host.",
      (h) => h.failedChecks.length,
    ),
    perHost(
      "lvsplay_audit_unverified_checks",
      "Verify checks that failed while drift was pending in the audit (re-check after apply).",
      (h) => h.unverifiedChecks.length,
    ),
    perHost("lvsplay_audit_host_unreachable", "1 when the host could not be reached.", (h) =>
      h.status === "unreachable" ? 1 : 0,
    ),
    perHost("lvsplay_audit_host_failed", "1 when a task failed on the host.", (h) =>
      h.status === "failed" ? 1 : 0,
    ),
    {
      name: "lvsplay_audit_drift_items_by_severity",
      help: "Drift items over all hosts, by severity.",
      samples: DRIFT_SEVERITIES.map((severity) => ({
        labels: { severity },
        value: bySeverity.get(severity) ?? 0,
      })),
    },
    gauge("lvsplay_audit_duration_seconds", "How long the audit took.", report.durationMs / 1000),
    gauge(
      "lvsplay_audit_exit_code",
      "Exit code of the audit: 0 clean, 2 drift, 3 host failed.",
      report.exitCode,
    ),
    gauge("lvsplay_audit_last_run_timestamp_seconds", "When the last audit finished (unix time).", runSec),
  ];
  const lastSuccess = report.exitCode === 0 ? runSec : previousLastSuccessSec;
  // Without any clean run on record the family is left out entirely: a 0 sample
  // would read as "last clean in 1970", and `time() - metric` alerts would show
  // 55 years instead of "absent", which absent()/`unless` rules handle properly.
  if (lastSuccess !== undefined) {
    families.push(
      gauge(LAST_SUCCESS, "When the last audit without drift or failures finished (unix time).", lastSuccess),
    );
  }
  return families.map(renderFamily).join("");
}

function gauge(name: string, help: string, value: number): Family {
  return { name, help, samples: [{ labels: {}, value }] };
}

/** The last-success value of a previous file; undefined when absent or unreadable (never throws). */
export function readLastSuccess(text: string): number | undefined {
  for (const line of text.split("\n")) {
    const match = /^(\S+?)(?:\{\})?[ \t]+(\S+)[ \t]*$/.exec(line);
    if (match?.[1] !== LAST_SUCCESS || match[2] === undefined) continue;
    const value = Number(match[2]);
    // Number("") is 0 and "0x10" is 16: only accept what looks like a float.
    if (!/^[0-9.eE+-]+$/.test(match[2]) || !Number.isFinite(value) || value <= 0) return undefined;
    return value;
  }
  return undefined;
}

/**
 * Replace the textfile at `file` atomically: node_exporter may scrape at any
 * moment and must see either the old or the new file, never half of one. The
 * temp file lives in the same directory (rename is only atomic within one file
 * system) and does not end in `.prom`, so the collector never picks it up.
 */
export function writePromFile(file: string, report: AuditReport): void {
  const dir = path.dirname(path.resolve(file));
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    // Reported below with the path, which is what the operator needs.
  }
  if (!isDir) throw new Error(`cannot write ${file}: directory ${dir} does not exist`);

  let previous: number | undefined;
  try {
    // Bounded and non-blocking: a FIFO or device at this path must not hang the audit.
    previous = readLastSuccess(readRegularFile(file, MAX_INPUT_BYTES).toString("utf8"));
  } catch (error) {
    if (!(error instanceof FileReadError)) throw error;
    if (error.code !== "ENOENT") throw new Error(`cannot read ${file}: ${error.message}`);
  }
  const text = renderPromFile(report, previous);

  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    const fd = openSync(tmp, "w");
    try {
      // node_exporter usually runs as its own user: readable regardless of umask.
      fchmodSync(fd, 0o644);
      writeFileSync(fd, text);
      // Data on disk before the rename, or a crash could leave an empty file behind the new name.
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (error) {
    try {
      unlinkSync(tmp);
    } catch {
      // Already renamed or never created.
    }
    throw new Error(`cannot write ${file}: ${String(error)}`);
  }
}
