// The audit report for humans (terminal, cron mail, journal): one line per
// finding, most urgent first, with the evidence and what `lvsplay apply`
// would do; file diffs indented below. Clean hosts are listed on one line.
import pc from "picocolors";
import { type AuditReport, DRIFT_SEVERITIES, type DriftItem, type DriftSeverity } from "./report.js";

const SEVERITY_STYLE: Record<DriftSeverity, (s: string) => string> = {
  critical: (s) => pc.bold(pc.red(s)),
  high: pc.red,
  medium: pc.yellow,
  low: pc.dim,
};

const indent = (text: string, by: string) =>
  text
    .split("\n")
    .map((l) => `${by}${l}`)
    .join("\n");

function itemLines(item: DriftItem, diff: boolean): string[] {
  const lines = [`${SEVERITY_STYLE[item.severity](item.severity.toUpperCase().padEnd(8))} ${item.summary}`];
  const pad = "           ";
  if (item.expected !== null)
    lines.push(`${pad}expected: ${indent(item.expected, `${pad}          `).trimStart()}`);
  lines.push(
    `${pad}actual:   ${item.actual === null ? "(nothing)" : indent(item.actual, `${pad}          `).trimStart()}`,
  );
  lines.push(`${pad}fix:      ${item.fix} (${item.stage} / ${item.task})`);
  if (diff && item.diff) lines.push(indent(item.diff, `${pad}  `));
  return lines;
}

export function renderAuditText(report: AuditReport, options: { diff: boolean }): string {
  const s = report.summary;
  const secs = (report.durationMs / 1000).toFixed(2);
  const verdict =
    report.exitCode === 0
      ? pc.green(`no drift on ${s.hosts} host(s)`)
      : report.exitCode === 2
        ? pc.yellow(`DRIFT: ${s.driftItems} item(s) on ${s.drifted} of ${s.hosts} host(s)`)
        : pc.red(
            `${s.failed} host(s) failed, ${s.unreachable} unreachable; ${s.driftItems} drift item(s) on the others`,
          );
  const out = [`lvsplay audit ${report.inventory}: ${verdict} (${secs} s)`];
  const items = Object.values(report.hosts)
    .flatMap((h) => h.drift)
    .sort((a, b) => DRIFT_SEVERITIES.indexOf(a.severity) - DRIFT_SEVERITIES.indexOf(b.severity));
  for (const item of items) out.push(...itemLines(item, options.diff));
  for (const [host, h] of Object.entries(report.hosts)) {
    if (h.status === "unreachable") out.push(`${pc.red("UNREACHABLE")} ${host}: ${h.errors.at(-1) ?? ""}`);
    if (h.status === "failed") {
      out.push(`${pc.red("FAILED")}   ${host}:`);
      for (const c of h.failedChecks) out.push(`           check ${c.name}: ${c.detail}`);
      for (const e of h.errors) out.push(`           ${e}`);
    }
  }
  for (const [host, h] of Object.entries(report.hosts))
    for (const c of h.unverifiedChecks)
      out.push(
        `${pc.yellow("UNVERIFIED")} ${host}: check ${c.name}: ${c.detail} (failed while drift is pending; re-check after apply)`,
      );
  const clean = Object.entries(report.hosts)
    .filter(([, h]) => h.status === "clean")
    .map(([host]) => host);
  if (clean.length > 0) out.push(`${pc.green("clean")}     ${clean.join(", ")}`);
  if (report.exitCode === 2)
    out.push("run `lvsplay apply` with the same inventory to repair (`--check --diff` first to review)");
  return out.join("\n");
}
