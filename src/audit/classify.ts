// Turns a check-mode run's planned changes into drift items an operator can act
// on: one item per drifted task (a task's changes share one cause), in
// operator language, with evidence and the fix `apply` would make. Operations
// that know the context annotate their changes (DriftNote); the rest are
// classified here by operation.
import type { DriftNote } from "../engine/drift.js";
import type { TaskResult } from "../engine/events.js";
import type { Change } from "../engine/types.js";
import { describeChange } from "../render/diff.js";
import { redactSecrets } from "../render/redact.js";
import { DRIFT_SEVERITIES, type DriftItem } from "./report.js";

const lineCount = (text: string | null | undefined) => (text ? text.split("\n").filter(Boolean).length : 0);

/** Evidence for changes nobody annotated: file contents summarised, command before/after as they are. */
function evidence(changes: readonly Change[]): { expected: string | null; actual: string | null } {
  const expected: string[] = [];
  const actual: string[] = [];
  for (const c of changes) {
    if (c.kind === "file") {
      expected.push(`${c.path}: ${lineCount(c.after)} line(s) rendered from the inventory, mode ${c.mode}`);
      actual.push(c.before === null ? `${c.path}: missing` : `${c.path}: differs (see diff)`);
    } else {
      if (c.after !== undefined) expected.push(c.after);
      if (c.before !== undefined) actual.push(c.before);
    }
  }
  return {
    expected: expected.length > 0 ? redactSecrets(expected.join("\n")) : null,
    actual: actual.length > 0 ? redactSecrets(actual.join("\n")) : null,
  };
}

const has = (changes: readonly Change[], pattern: RegExp) => changes.some((c) => pattern.test(c.summary));

/** Kind, severity and summary for a drifted task whose changes carry no DriftNote. */
function classify(r: TaskResult): Omit<DriftNote, "expected" | "actual"> {
  const h = r.host;
  const c = r.changes;
  switch (r.op) {
    case "lvs.packages":
      return {
        kind: "package-missing",
        severity: "low",
        summary: `${h}: packages missing (${c.map((x) => x.summary).join("; ")})`,
      };
    case "lvs.persist":
      return {
        kind: "persisted-rules",
        severity: "medium",
        summary: `${h}: persisted mark rules differ from the rules lvsplay runs — a reboot would bring back the wrong rules`,
      };
    case "lvs.dr_sysctl":
      return has(c, /^apply /)
        ? {
            kind: "dr-sysctl",
            severity: "high",
            summary: `${h}: DR sysctls reverted — the real server may answer ARP for the VIP and draw traffic past the directors`,
          }
        : {
            kind: "dr-sysctl",
            severity: "medium",
            summary: `${h}: DR sysctl file differs — a reboot would revert the live settings`,
          };
    case "lvs.ipvs_sysctl":
      return has(c, /^apply /)
        ? {
            kind: "ipvs-sysctl",
            severity: "high",
            summary: `${h}: IPVS keeps connections to real servers its health checks removed — clients reusing a port hang`,
          }
        : {
            kind: "ipvs-sysctl",
            severity: "medium",
            summary: `${h}: IPVS sysctls would not be restored after a reboot`,
          };
    case "lvs.lo_vip":
      return has(c, /^(add|remove) VIP/)
        ? {
            kind: "vip-on-lo",
            severity: "high",
            summary: `${h}: ${c
              .filter((x) => /VIP/.test(x.summary))
              .map((x) => x.summary.replace(/^add (VIP \S+) to lo$/, "$1 missing from lo"))
              .join("; ")} — requests the directors forward here are dropped`,
          }
        : {
            kind: "vip-on-lo",
            severity: "medium",
            summary: `${h}: the VIP would not come back on lo after a reboot`,
          };
    case "lvs.firewalld_open":
      return {
        kind: "firewalld-ports",
        severity: "high",
        summary: `${h}: firewalld does not allow ${c.map((x) => x.summary.replace(/^firewalld \w+: allow /, "")).join(", ")} — VRRP split brain or refused requests`,
      };
    case "lvs.keepalived_mode":
      return {
        kind: "keepalived-options",
        severity: "medium",
        summary: `${h}: keepalived's daemon options differ from the inventory`,
      };
    case "lvs.keepalived":
      return {
        kind: "keepalived-config",
        severity: "high",
        summary: `${h}: keepalived.conf differs from the configuration rendered from the inventory`,
      };
    case "service": {
      const stopped = c.find((x) => /^start /.test(x.summary));
      if (stopped)
        return {
          kind: /keepalived/.test(stopped.summary) ? "keepalived-stopped" : "other",
          severity: "high",
          summary: `${h}: ${stopped.summary.replace(/^start (\S+).*$/, "$1")} is not running — this director does no VRRP and no IPVS`,
        };
      return { kind: "other", severity: "medium", summary: `${h}: ${c.map((x) => x.summary).join("; ")}` };
    }
    default:
      return {
        kind: "other",
        severity: "medium",
        summary: `${h}: ${r.task}: ${c.map((x) => x.summary).join("; ")}`,
      };
  }
}

function itemOf(r: TaskResult, handlers: readonly string[]): DriftItem {
  const note = r.changes.find((c) => c.drift)?.drift;
  const base = note ?? { ...classify(r), ...evidence(r.changes) };
  const fileDiffs = r.changes.filter((c) => c.kind === "file").flatMap((c) => describeChange(c));
  const then = handlers.length > 0 ? `, then ${handlers.join(", ")}` : "";
  return {
    host: r.host,
    kind: base.kind,
    severity: base.severity,
    summary: base.summary,
    expected: base.expected,
    actual: base.actual,
    fix: `${r.changes.map((c) => c.summary).join("; ")}${then}`,
    ...(fileDiffs.length > 0 ? { diff: fileDiffs.join("\n") } : {}),
    stage: r.stage,
    task: r.task,
  };
}

const isMarkKind = (i: DriftItem) => i.kind.startsWith("mark-rule-");

/**
 * Drift items of one host from its check-mode results, most urgent first. The
 * persisted copy of drifted mark rules is part of the same item (one cause,
 * one fix), not a second finding.
 */
export function hostDriftItems(results: readonly TaskResult[]): DriftItem[] {
  const handlersByStage = new Map<string, string[]>();
  for (const r of results)
    if (r.handler && r.status === "changed")
      handlersByStage.set(r.stage, [
        ...(handlersByStage.get(r.stage) ?? []),
        r.task.replace(/^handler: /, ""),
      ]);
  let items = results
    .filter((r) => !r.handler && r.status === "changed" && r.changes.length > 0)
    .map((r) => itemOf(r, handlersByStage.get(r.stage) ?? []));
  const marks = items.find(isMarkKind);
  const persisted = items.filter((i) => i.kind === "persisted-rules");
  if (marks && persisted.length > 0) {
    const merged: DriftItem = {
      ...marks,
      fix: [marks.fix, ...persisted.map((p) => p.fix)].join("; "),
      ...(persisted.some((p) => p.diff)
        ? {
            diff: persisted
              .map((p) => p.diff)
              .filter(Boolean)
              .join("\n"),
          }
        : {}),
    };
    items = items.filter((i) => i !== marks && !persisted.includes(i));
    items.unshift(merged);
  }
  const rank = (i: DriftItem) => DRIFT_SEVERITIES.indexOf(i.severity);
  return items
    .map((item, order) => ({ item, order }))
    .sort((a, b) => rank(a.item) - rank(b.item) || a.order - b.order)
    .map((x) => x.item);
}
