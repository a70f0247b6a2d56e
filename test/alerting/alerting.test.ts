// The alert rules and Grafana dashboard shipped in alerting/, checked against
// real parts: Prometheus' own promtool (syntax, lint, unit tests of every alert)
// and a metrics file written by the audit code itself, so a renamed or dropped
// metric fails here instead of silently emptying a panel or muting an alert.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { buildAuditReport } from "../../src/audit/build-report.js";
import { writePromFile } from "../../src/audit/prom.js";
import type { TaskResult } from "../../src/engine/events.js";
import type { RunOutcome } from "../../src/engine/run.js";

const ROOT = path.resolve(import.meta.dirname, "..", "..");
const RULES = path.join(ROOT, "alerting/prometheus/lvsplay-audit.rules.yml");
const RULE_TESTS = path.join(ROOT, "alerting/prometheus/lvsplay-audit.rules.test.yml");
const DASHBOARD = path.join(ROOT, "alerting/grafana/lvsplay-audit-dashboard.json");
/** Labels a node_exporter scrape adds; the audit never writes them. */
const SCRAPE_LABELS = new Set(["instance", "job"]);
/** Grafana's reference to the dashboard's data source variable. */
const DATASOURCE_VAR = ["$", "{datasource}"].join("");

let dir: string;
/** Metric name → label names on its samples, from a file the audit code wrote. */
let written: Map<string, Set<string>>;
let promText: string;

function promtool(args: readonly string[], input?: string) {
  const run = spawnSync("promtool", args, { encoding: "utf8", input, cwd: dir });
  if (run.error)
    throw new Error(`promtool could not run (scripts/setup.sh installs it): ${run.error.message}`);
  return { code: run.status, out: `${run.stdout}${run.stderr}` };
}

const task = (host: string, over: Partial<TaskResult>): TaskResult => ({
  host,
  stage: "lvs",
  task: "t",
  op: "op",
  status: "ok",
  changes: [],
  notes: [],
  checks: [],
  handler: false,
  durationMs: 1,
  ...over,
});

/** An audit outcome with every host state: clean, drifted (critical), failed check, unreachable. */
function auditOutcome(): RunOutcome {
  const recap = (failed: number, unreachable: number) => ({
    ok: 1,
    changed: 0,
    failed,
    skipped: 0,
    unreachable,
  });
  return {
    recap: { ds1: recap(0, 0), ds2: recap(1, 0), rs3: recap(0, 0), rs4: recap(0, 1) },
    results: [
      task("ds1", {
        task: "mark rules",
        status: "changed",
        changes: [
          {
            kind: "command",
            cause: { kind: "mark-rule-missing" },
            summary: "add mark rule",
            command: { argv: ["true"] },
            drift: {
              kind: "mark-rule-missing",
              severity: "critical",
              summary: "mark rule missing",
              expected: "rule",
              actual: null,
            },
          },
        ],
      }),
      task("ds2", {
        task: "verify",
        status: "failed",
        checks: [{ name: "vip owner", status: "fail", detail: "no director owns the VIP" }],
      }),
      task("rs3", {}),
      task("rs4", { status: "unreachable", error: "connection refused" }),
    ],
    stats: {},
  };
}

/** Metric families and their label names, read from exposition text (samples only). */
function familiesOf(text: string): Map<string, Set<string>> {
  const families = new Map<string, Set<string>>();
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})? \S+$/.exec(line);
    if (!m?.[1]) continue;
    const labels = families.get(m[1]) ?? new Set<string>();
    for (const pair of (m[2] ?? "").split(",").filter(Boolean)) labels.add(pair.split("=")[0] ?? "");
    families.set(m[1], labels);
  }
  return families;
}

/** Every `lvsplay_…` selector in a PromQL expression with the label names it matches on. */
function selectors(expr: string): { metric: string; labels: string[] }[] {
  return [...expr.matchAll(/\b(lvsplay_[a-zA-Z0-9_]+)(?:\{([^}]*)\})?/g)].map((m) => ({
    metric: m[1] ?? "",
    labels: [...(m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)].map((l) => l[1] ?? ""),
  }));
}

function expectWritten(where: string, expr: string): void {
  const found = selectors(expr);
  for (const { metric, labels } of found) {
    expect(written.has(metric), `${where}: ${metric} is not written by the audit`).toBe(true);
    for (const label of labels.filter((l) => !SCRAPE_LABELS.has(l))) {
      expect([...(written.get(metric) ?? [])], `${where}: ${metric} has no label ${label}`).toContain(label);
    }
  }
}

interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { uid?: string };
  gridPos?: { h: number; w: number; x: number; y: number };
  targets?: { refId: string; expr: string; datasource?: { uid?: string } }[];
  panels?: Panel[];
}
const dashboard = JSON.parse(readFileSync(DASHBOARD, "utf8")) as {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: { name: string; type: string; definition?: string; query?: unknown }[] };
};
const allPanels = (panels: readonly Panel[]): Panel[] =>
  panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
const dashboardExprs = allPanels(dashboard.panels).flatMap((p) =>
  (p.targets ?? []).map((t) => ({ where: `panel "${p.title}" ${t.refId}`, expr: t.expr })),
);
/** Grafana's variables replaced by what they expand to, so promtool can parse the query. */
const asPromql = (expr: string) => expr.replaceAll("$instance", ".*").replaceAll("$__rate_interval", "5m");

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "lvsplay-alerting-"));
  const file = path.join(dir, "lvsplay.prom");
  const report = (exitCode: 0 | 2 | 3, finishedAt: Date) =>
    buildAuditReport({
      outcome: auditOutcome(),
      hosts: ["ds1", "ds2", "rs3", "rs4"],
      unreachable: { rs4: "cannot connect to host rs4: connection refused" },
      exitCode,
      inventory: "inventory.yml",
      playbook: "lvs-ha.yaml",
      toolVersion: "test",
      durationMs: 4200,
      finishedAt,
    });
  // A clean audit first, so the next file carries the last-success timestamp too.
  writePromFile(file, report(0, new Date("2026-01-01T00:00:00Z")));
  writePromFile(file, report(3, new Date("2026-01-01T00:15:00Z")));
  promText = readFileSync(file, "utf8");
  written = familiesOf(promText);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the audit's metrics file", () => {
  it("has every family the rules and dashboard need and passes promtool check metrics", () => {
    expect([...written.keys()]).toContain("lvsplay_audit_last_success_timestamp_seconds");
    expect(written.get("lvsplay_audit_drift_items")).toEqual(new Set(["host"]));
    const check = promtool(["check", "metrics"], promText);
    expect(check.out).toBe("");
    expect(check.code).toBe(0);
  });
});

describe("Prometheus alert rules", () => {
  it("pass promtool check rules (syntax and lint)", () => {
    const check = promtool(["check", "rules", RULES]);
    expect(check.out).toMatch(/SUCCESS: 8 rules found/);
    expect(check.code).toBe(0);
  });

  it("pass their promtool unit tests (each alert fires when it should and not before)", () => {
    const tests = promtool(["test", "rules", RULE_TESTS]);
    expect(tests.out).toMatch(/SUCCESS/);
    expect(tests.code).toBe(0);
  });

  it("cover drift, failure, a stale audit and an old last success", () => {
    const rules = (
      parseYaml(readFileSync(RULES, "utf8")) as { groups: { rules: { alert: string; expr: string }[] }[] }
    ).groups.flatMap((g) => g.rules);
    const byMetric = (name: string) => rules.filter((r) => r.expr.includes(name)).map((r) => r.alert);
    expect(byMetric("lvsplay_audit_drift_items")).toEqual(["LvsplayCriticalDrift", "LvsplayDrift"]);
    expect(byMetric("lvsplay_audit_host_failed")).toEqual(["LvsplayAuditHostFailed"]);
    expect(byMetric("lvsplay_audit_failed_checks")).toEqual(["LvsplayVerifyChecksFailing"]);
    expect(byMetric("lvsplay_audit_last_run_timestamp_seconds")).toContain("LvsplayAuditStale");
    expect(byMetric("lvsplay_audit_last_success_timestamp_seconds")).toContain("LvsplayNoCleanAudit");
    // Every alert is unit-tested.
    const tested = new Set(
      (
        parseYaml(readFileSync(RULE_TESTS, "utf8")) as {
          tests: { alert_rule_test: { alertname: string }[] }[];
        }
      ).tests
        .flatMap((t) => t.alert_rule_test)
        .map((t) => t.alertname),
    );
    expect(rules.map((r) => r.alert).filter((a) => !tested.has(a))).toEqual([]);
  });

  it("query only metrics and labels the audit writes (rules and their unit tests)", () => {
    const rules = (
      parseYaml(readFileSync(RULES, "utf8")) as { groups: { rules: { alert: string; expr: string }[] }[] }
    ).groups.flatMap((g) => g.rules);
    for (const rule of rules) expectWritten(`rule ${rule.alert}`, rule.expr);
    const tests = parseYaml(readFileSync(RULE_TESTS, "utf8")) as {
      tests: { input_series: { series: string }[] }[];
    };
    const series = tests.tests.flatMap((t) => t.input_series.map((s) => s.series));
    expect(series.filter((s) => s.startsWith("lvsplay_")).length).toBeGreaterThan(10);
    for (const s of series) expectWritten(`unit test series ${s}`, s);
  });
});

describe("Grafana dashboard", () => {
  it("loads, with unique panel ids, a grid position and the datasource variable on every panel", () => {
    expect(dashboard.uid).toBe("lvsplay-audit");
    const panels = allPanels(dashboard.panels);
    expect(panels.length).toBeGreaterThanOrEqual(8);
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    for (const p of panels) {
      expect(p.gridPos, p.title).toBeDefined();
      expect(p.datasource?.uid, p.title).toBe(DATASOURCE_VAR);
      for (const t of p.targets ?? [])
        expect(t.datasource?.uid, `${p.title} ${t.refId}`).toBe(DATASOURCE_VAR);
    }
    const names = dashboard.templating.list.map((v) => v.name);
    expect(names).toEqual(["datasource", "instance"]);
  });

  it("queries only metrics and labels the audit writes", () => {
    expect(dashboardExprs.length).toBeGreaterThanOrEqual(10);
    for (const { where, expr } of dashboardExprs) {
      expect(selectors(expr).length, `${where} queries no lvsplay metric`).toBeGreaterThan(0);
      expectWritten(where, expr);
    }
    const used = new Set(dashboardExprs.flatMap(({ expr }) => selectors(expr).map((s) => s.metric)));
    // Every metric the audit writes is on the dashboard somewhere.
    expect([...written.keys()].filter((m) => !used.has(m))).toEqual([]);
    for (const variable of dashboard.templating.list.filter((v) => v.definition)) {
      expectWritten(`variable ${variable.name}`, variable.definition ?? "");
    }
  });

  it("every panel query is valid PromQL (promtool parses it as a recording rule)", () => {
    const rules = {
      groups: [
        {
          name: "dashboard",
          rules: dashboardExprs.map(({ expr }, i) => ({
            record: `lvsplay_dashboard:query_${i}`,
            expr: asPromql(expr),
          })),
        },
      ],
    };
    const file = path.join(dir, "dashboard-queries.rules.yml");
    writeFileSync(file, JSON.stringify(rules));
    const check = promtool(["check", "rules", file]);
    expect(check.out).toMatch(new RegExp(`SUCCESS: ${dashboardExprs.length} rules found`));
    expect(check.code).toBe(0);
    // And it can fail: a broken query is reported.
    writeFileSync(
      file,
      JSON.stringify({ groups: [{ name: "x", rules: [{ record: "a:b", expr: "sum(" }] }] }),
    );
    expect(promtool(["check", "rules", file]).code).not.toBe(0);
  });
});

describe("promtool is the real one", () => {
  it("reports its version", () => {
    expect(execFileSync("promtool", ["--version"], { encoding: "utf8" })).toMatch(
      /promtool, version \d+\.\d+/,
    );
  });
});
