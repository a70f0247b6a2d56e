// Turns a check-mode run's planned changes into drift items an operator can act
// on: one item per drifted task (a task's changes share one cause), in
// operator language, with evidence and the fix `apply` would make. Operations
// that know the context annotate their changes (DriftNote); the rest are
// classified here from each change's typed cause (engine/cause.ts).
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

type Classified = Omit<DriftNote, "expected" | "actual">;

const subjects = (changes: readonly Change[]) => [
  ...new Set(changes.map((c) => c.cause.subject).filter((s): s is string => s !== undefined)),
];

const vipPhrase = (c: Change): string =>
  c.cause.kind === "vip-on-lo-stale"
    ? `VIP ${c.cause.subject} of a removed service still on lo`
    : `VIP ${c.cause.subject} missing from lo`;

/** Kind, severity and summary of one change, from its typed cause (never from its summary text). */
function classifyChange(h: string, c: Change, task: string): Classified {
  const { kind, subject } = c.cause;
  switch (kind) {
    case "package-missing":
      return { kind: "package-missing", severity: "low", summary: `${h}: packages missing` };
    case "persisted-rules":
      return {
        kind: "persisted-rules",
        severity: "medium",
        summary: `${h}: persisted mark rules differ from the rules lvsplay runs — a reboot would bring back the wrong rules`,
      };
    case "mark-rule-missing":
    case "mark-rule-stale-mac":
      return {
        kind,
        severity: "critical",
        summary: `${h}: mark rules missing or stale — ping-pong loop possible`,
      };
    case "mark-rule-differs":
      return { kind, severity: "high", summary: `${h}: mark rules differ from the inventory` };
    case "dr-sysctl-live":
      return {
        kind: "dr-sysctl",
        severity: "high",
        summary: `${h}: DR sysctls reverted — the real server may answer ARP for the VIP and draw traffic past the directors`,
      };
    case "dr-sysctl-persisted":
      return {
        kind: "dr-sysctl",
        severity: "medium",
        summary: `${h}: DR sysctl file differs — a reboot would revert the live settings`,
      };
    case "ipvs-sysctl-live":
      return {
        kind: "ipvs-sysctl",
        severity: "high",
        summary: `${h}: IPVS keeps connections to real servers its health checks removed — clients reusing a port hang`,
      };
    case "ipvs-sync-daemon":
      return {
        kind: "ipvs-sync-daemon",
        severity: "critical",
        summary: `${h}: an IPVS ${subject ?? ""} sync daemon runs that no keepalived configuration asks for — with backup_only=1 a director running the backup daemon forwards nothing, even as MASTER`,
      };
    case "drain-left-behind":
      return {
        kind: "keepalived-drained",
        severity: "high",
        summary: `${h}: a drain file left behind holds this director's VRRP priority at 1 — it takes no VIP while a peer runs, and never takes one back`,
      };
    case "ipvs-sysctl-persisted":
    case "ipvs-module":
      return {
        kind: "ipvs-sysctl",
        severity: "medium",
        summary: `${h}: IPVS sysctls would not be restored after a reboot`,
      };
    case "vip-on-lo-live":
    case "vip-on-lo-stale":
      return {
        kind: "vip-on-lo",
        severity: "high",
        summary: `${h}: ${vipPhrase(c)} — requests the directors forward here are dropped`,
      };
    case "vip-on-lo-boot":
      return {
        kind: "vip-on-lo",
        severity: "medium",
        summary: `${h}: the VIP would not come back on lo after a reboot`,
      };
    case "firewalld-port":
      return {
        kind: "firewalld-ports",
        severity: "high",
        summary: `${h}: firewalld does not allow ${subject} — VRRP split brain or refused requests`,
      };
    case "keepalived-options":
      return {
        kind: "keepalived-options",
        severity: "medium",
        summary: `${h}: keepalived's daemon options differ from the inventory`,
      };
    case "keepalived-config":
      return {
        kind: "keepalived-config",
        severity: "high",
        summary: `${h}: lvsplay's keepalived configuration (its file or the include line) differs from the inventory`,
      };
    case "service-stopped":
      return {
        kind: subject === "keepalived" ? "keepalived-stopped" : "other",
        severity: "high",
        summary: `${h}: ${subject} is not running — this director does no VRRP and no IPVS`,
      };
    case "service-running":
    case "service-reload":
    case "service-restart":
    case "service-boot":
      return { kind: "other", severity: "medium", summary: `${h}: ${c.summary}` };
    case "file-content":
    case "command":
      return { kind: "other", severity: "medium", summary: `${h}: ${task}: ${c.summary}` };
  }
}

/** A drifted task's classification: its most urgent change's, with the task's subjects and fixes named. */
function classify(r: TaskResult): Classified {
  const rank = (c: Classified) => DRIFT_SEVERITIES.indexOf(c.severity);
  const all = r.changes.map((c) => ({ change: c, cls: classifyChange(r.host, c, r.task) }));
  const top = all.reduce((a, b) => (rank(b.cls) < rank(a.cls) ? b : a));
  const same = all.filter((x) => x.cls.kind === top.cls.kind && x.cls.severity === top.cls.severity);
  const what = subjects(same.map((x) => x.change));
  switch (top.change.cause.kind) {
    case "package-missing":
      return {
        ...top.cls,
        summary: `${r.host}: packages missing (${same.map((x) => x.change.summary).join("; ")})`,
      };
    case "firewalld-port":
      return {
        ...top.cls,
        summary: `${r.host}: firewalld does not allow ${what.join(", ")} — VRRP split brain or refused requests`,
      };
    case "vip-on-lo-live":
    case "vip-on-lo-stale":
      return {
        ...top.cls,
        summary: `${r.host}: ${same.map((x) => vipPhrase(x.change)).join("; ")} — requests the directors forward here are dropped`,
      };
    case "service-running":
    case "service-reload":
    case "service-restart":
    case "service-boot":
      return { ...top.cls, summary: `${r.host}: ${r.changes.map((c) => c.summary).join("; ")}` };
    case "file-content":
    case "command":
      return { ...top.cls, summary: `${r.host}: ${r.task}: ${r.changes.map((c) => c.summary).join("; ")}` };
    default:
      return top.cls;
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
