import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readLastSuccess, renderPromFile, writePromFile } from "../../src/audit/prom.js";
import type { AuditReport, DriftItem, DriftSeverity, HostAudit } from "../../src/audit/report.js";

// A deliberately strict reader of the text exposition format, enforcing what
// `promtool check metrics` and node_exporter's textfile collector insist on.
// It lives here, not in src/: it judges the renderer, so it must not share code with it.
interface Sample {
  readonly labels: Record<string, string>;
  readonly value: number;
}
type Families = Map<string, { help: string; type: string; samples: Sample[] }>;

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const FLOAT = /^(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-]?Inf|NaN)$/;

function parseLabels(text: string, where: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let rest = text;
  while (rest.length > 0) {
    const m = /^([^=]*)="((?:[^"\\\n]|\\.)*)"(,|$)/.exec(rest);
    if (!m) throw new Error(`${where}: malformed labels {${text}}`);
    const [whole, name = "", raw = "", comma] = m;
    if (!LABEL_NAME.test(name) || name.startsWith("__")) throw new Error(`${where}: bad label name ${name}`);
    if (name in labels) throw new Error(`${where}: duplicate label ${name}`);
    labels[name] = raw.replace(/\\(.)/g, (_, c: string) => {
      if (c === "n") return "\n";
      if (c === "\\" || c === '"') return c;
      throw new Error(`${where}: invalid escape \\${c}`);
    });
    rest = rest.slice(whole.length);
    if (comma === "," && rest.length === 0) throw new Error(`${where}: trailing comma`);
  }
  return labels;
}

function parseExposition(text: string): Families {
  if (!text.endsWith("\n")) throw new Error("file does not end with a newline");
  const families: Families = new Map();
  let current: string | undefined;
  const series = new Set<string>();
  text
    .slice(0, -1)
    .split("\n")
    .forEach((line, i) => {
      const where = `line ${i + 1}`;
      const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (meta) {
        const [, kind, name = "", rest = ""] = meta;
        if (!METRIC_NAME.test(name) || !name.startsWith("lvsplay_"))
          throw new Error(`${where}: bad name ${name}`);
        if (kind === "HELP") {
          if (families.has(name)) throw new Error(`${where}: second HELP for ${name}`);
          if (rest.trim() === "") throw new Error(`${where}: empty HELP for ${name}`);
          families.set(name, { help: rest, type: "", samples: [] });
          current = name;
          return;
        }
        const family = families.get(name);
        if (!family || current !== name) throw new Error(`${where}: TYPE for ${name} without HELP first`);
        if (family.type) throw new Error(`${where}: second TYPE for ${name}`);
        if (rest !== "gauge" && rest !== "counter") throw new Error(`${where}: unsupported type ${rest}`);
        if (rest === "gauge" && name.endsWith("_total"))
          throw new Error(`${where}: gauge ${name} ends in _total`);
        if (rest === "counter" && !name.endsWith("_total"))
          throw new Error(`${where}: counter ${name} lacks _total`);
        family.type = rest;
        return;
      }
      if (line.startsWith("#")) return;
      const m = /^([^{\s]+)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!m) throw new Error(`${where}: malformed sample (timestamps are not allowed): ${line}`);
      const [, name = "", labelText = "", value = ""] = m;
      const family = families.get(name);
      if (!family?.type || current !== name) throw new Error(`${where}: sample of ${name} without HELP+TYPE`);
      if (!FLOAT.test(value)) throw new Error(`${where}: bad value ${value}`);
      const labels = parseLabels(labelText, where);
      const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
      if (series.has(key)) throw new Error(`${where}: duplicate series ${key}`);
      series.add(key);
      family.samples.push({ labels, value: Number(value.replace("Inf", "Infinity")) });
    });
  for (const [name, family] of families) if (!family.type) throw new Error(`${name}: HELP without TYPE`);
  return families;
}

/** The value of one series; throws when it is not there. */
function value(families: Families, name: string, labels: Record<string, string> = {}): number {
  const want = JSON.stringify(Object.entries(labels).sort());
  const sample = families
    .get(name)
    ?.samples.find((s) => JSON.stringify(Object.entries(s.labels).sort()) === want);
  if (!sample) throw new Error(`no series ${name}${want}`);
  return sample.value;
}

const drift = (host: string, severity: DriftSeverity): DriftItem => ({
  host,
  kind: "other",
  severity,
  summary: "s",
  expected: null,
  actual: null,
  fix: "f",
  stage: "st",
  task: "t",
});
const clean: HostAudit = { status: "clean", drift: [], failedChecks: [], unverifiedChecks: [], errors: [] };
const GENERATED = "2025-01-02T03:04:05.500Z";
const GENERATED_SEC = Date.parse(GENERATED) / 1000;

function report(hosts: Record<string, HostAudit>, exitCode: AuditReport["exitCode"]): AuditReport {
  return {
    schemaVersion: 1,
    tool: "lvsplay",
    toolVersion: "0.1.0",
    generatedAt: GENERATED,
    durationMs: 12345,
    inventory: "/etc/lvsplay/inv.yml",
    playbook: "builtin",
    exitCode,
    summary: { hosts: 0, clean: 0, drifted: 0, failed: 0, unreachable: 0, driftItems: 0 },
    hosts,
    cost: {},
  };
}

const troubled = report(
  {
    ds1: {
      ...clean,
      status: "drift",
      drift: [drift("ds1", "critical"), drift("ds1", "low")],
      unverifiedChecks: [{ task: "t", name: "mark rules", detail: "d" }],
    },
    ds2: { ...clean, status: "unreachable", errors: ["timeout"] },
    rs1: {
      ...clean,
      status: "failed",
      drift: [drift("rs1", "critical")],
      failedChecks: [{ task: "t", name: "n", detail: "d" }],
    },
  },
  3,
);

describe("renderPromFile", () => {
  it("a clean report: every family present, all zero, last success = this run", () => {
    const f = parseExposition(renderPromFile(report({ ds1: clean, rs1: clean }, 0)));
    expect([...f.keys()]).toEqual([
      "lvsplay_audit_drift_items",
      "lvsplay_audit_failed_checks",
      "lvsplay_audit_unverified_checks",
      "lvsplay_audit_host_unreachable",
      "lvsplay_audit_host_failed",
      "lvsplay_audit_drift_items_by_severity",
      "lvsplay_audit_duration_seconds",
      "lvsplay_audit_exit_code",
      "lvsplay_audit_last_run_timestamp_seconds",
      "lvsplay_audit_last_success_timestamp_seconds",
    ]);
    expect(f.get("lvsplay_audit_drift_items")?.samples.map((s) => s.labels["host"])).toEqual(["ds1", "rs1"]);
    for (const s of ["critical", "high", "medium", "low"]) {
      expect(value(f, "lvsplay_audit_drift_items_by_severity", { severity: s })).toBe(0);
    }
    expect(value(f, "lvsplay_audit_duration_seconds")).toBe(12.345);
    expect(value(f, "lvsplay_audit_exit_code")).toBe(0);
    expect(value(f, "lvsplay_audit_last_run_timestamp_seconds")).toBe(GENERATED_SEC);
    expect(value(f, "lvsplay_audit_last_success_timestamp_seconds")).toBe(GENERATED_SEC);
  });

  it("drifted, unreachable and failed hosts: values per host and severity totals", () => {
    const f = parseExposition(renderPromFile(troubled, 1000));
    const perHost = (name: string) => ["ds1", "ds2", "rs1"].map((host) => value(f, name, { host }));
    expect(perHost("lvsplay_audit_drift_items")).toEqual([2, 0, 1]);
    expect(perHost("lvsplay_audit_failed_checks")).toEqual([0, 0, 1]);
    expect(perHost("lvsplay_audit_unverified_checks")).toEqual([1, 0, 0]);
    expect(perHost("lvsplay_audit_host_unreachable")).toEqual([0, 1, 0]);
    expect(perHost("lvsplay_audit_host_failed")).toEqual([0, 0, 1]);
    const bySeverity = ["critical", "high", "medium", "low"].map((severity) =>
      value(f, "lvsplay_audit_drift_items_by_severity", { severity }),
    );
    expect(bySeverity).toEqual([2, 0, 0, 1]);
    expect(value(f, "lvsplay_audit_exit_code")).toBe(3);
  });

  it("escapes host names in label values", () => {
    const odd = 'a"b\\c\nd';
    const text = renderPromFile(
      report({ [odd]: { ...clean, status: "drift", drift: [drift(odd, "high")] } }, 2),
    );
    expect(text).toContain('lvsplay_audit_drift_items{host="a\\"b\\\\c\\nd"} 1\n');
    expect(value(parseExposition(text), "lvsplay_audit_drift_items", { host: odd })).toBe(1);
  });

  it("last success: carried forward on failure, replaced on success, omitted when never", () => {
    const previous = renderPromFile(report({ ds1: clean }, 0));
    const carried = readLastSuccess(previous);
    expect(carried).toBe(GENERATED_SEC);
    const failed = parseExposition(renderPromFile(troubled, carried));
    expect(value(failed, "lvsplay_audit_last_success_timestamp_seconds")).toBe(GENERATED_SEC);
    const ok = parseExposition(renderPromFile(report({ ds1: clean }, 0), 42));
    expect(value(ok, "lvsplay_audit_last_success_timestamp_seconds")).toBe(GENERATED_SEC);
    const never = renderPromFile(troubled);
    expect(never).not.toContain("last_success");
    expect(readLastSuccess(never)).toBeUndefined();
  });

  it("readLastSuccess ignores garbage", () => {
    expect(readLastSuccess("")).toBeUndefined();
    expect(readLastSuccess("lvsplay_audit_last_success_timestamp_seconds NaN\n")).toBeUndefined();
    expect(readLastSuccess("lvsplay_audit_last_success_timestamp_seconds 0x10\n")).toBeUndefined();
    expect(readLastSuccess("lvsplay_audit_last_success_timestamp_seconds_x 5\n")).toBeUndefined();
    expect(readLastSuccess("# HELP x\nlvsplay_audit_last_success_timestamp_seconds 1.5e9\n")).toBe(1.5e9);
  });

  it("rejects a report without a usable timestamp", () => {
    expect(() => renderPromFile({ ...report({}, 0), generatedAt: "yesterday" })).toThrow(/generatedAt/);
  });
});

describe("writePromFile", () => {
  const dirs: string[] = [];
  const tempDir = () => dirs[dirs.push(mkdtempSync(path.join(tmpdir(), "lvsplay-prom-"))) - 1]!;
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it("replaces the file completely, carries last success forward, leaves no temp file", () => {
    const dir = tempDir();
    const file = path.join(dir, "lvsplay.prom");
    writePromFile(file, report({ ds1: clean }, 0));
    writePromFile(file, { ...troubled, generatedAt: "2025-01-03T00:00:00Z" });
    const text = readFileSync(file, "utf8");
    expect(text).toBe(renderPromFile({ ...troubled, generatedAt: "2025-01-03T00:00:00Z" }, GENERATED_SEC));
    expect(value(parseExposition(text), "lvsplay_audit_last_success_timestamp_seconds")).toBe(GENERATED_SEC);
    expect(readdirSync(dir)).toEqual(["lvsplay.prom"]);
  });

  it("names the path when the directory is missing", () => {
    const file = path.join(tmpdir(), "lvsplay-no-such-dir", "x", "lvsplay.prom");
    expect(() => writePromFile(file, report({}, 0))).toThrow(/lvsplay-no-such-dir\/x/);
    expect(existsSync(file)).toBe(false);
  });

  it("refuses a FIFO at the path at once (reading the previous file must not block)", () => {
    const dir = tempDir();
    const file = path.join(dir, "lvsplay.prom");
    expect(spawnSync("mkfifo", [file]).status).toBe(0);
    expect(() => writePromFile(file, report({}, 0))).toThrow(
      `cannot read ${file}: a named pipe (FIFO), expected a regular file`,
    );
    expect(readdirSync(dir)).toEqual(["lvsplay.prom"]);
  });

  it("does not trust a corrupt previous file", () => {
    const dir = tempDir();
    const file = path.join(dir, "lvsplay.prom");
    writeFileSync(file, "lvsplay_audit_last_success_timestamp_seconds garbage\n");
    writePromFile(file, troubled);
    expect(readFileSync(file, "utf8")).not.toContain("last_success");
  });
});

describe("the test's exposition parser", () => {
  const ok = "# HELP lvsplay_x X.\n# TYPE lvsplay_x gauge\n";
  it.each([
    ["no trailing newline", `${ok}lvsplay_x 1`],
    ["sample without HELP/TYPE", "lvsplay_x 1\n"],
    ["TYPE without HELP", "# TYPE lvsplay_x gauge\nlvsplay_x 1\n"],
    ["HELP without TYPE", "# HELP lvsplay_x X.\nlvsplay_x 1\n"],
    ["bad type", "# HELP lvsplay_x X.\n# TYPE lvsplay_x histogram\n"],
    ["bad metric name", "# HELP lvsplay-x X.\n# TYPE lvsplay-x gauge\n"],
    ["foreign prefix", "# HELP node_x X.\n# TYPE node_x gauge\n"],
    ["bad label name", `${ok}lvsplay_x{1h="a"} 1\n`],
    ["bad escape", `${ok}lvsplay_x{h="a\\tb"} 1\n`],
    ["unescaped quote", `${ok}lvsplay_x{h="a"b"} 1\n`],
    ["duplicate series", `${ok}lvsplay_x{h="a"} 1\nlvsplay_x{h="a"} 2\n`],
    ["bad value", `${ok}lvsplay_x 1,5\n`],
    ["timestamp", `${ok}lvsplay_x 1 1700000000000\n`],
    ["gauge ending in _total", "# HELP lvsplay_x_total X.\n# TYPE lvsplay_x_total gauge\n"],
    ["counter without _total", "# HELP lvsplay_x X.\n# TYPE lvsplay_x counter\n"],
    ["sample of another family", `${ok}# HELP lvsplay_y Y.\n# TYPE lvsplay_y gauge\nlvsplay_x 1\n`],
  ])("rejects %s", (_name, text) => {
    expect(() => parseExposition(text)).toThrow();
  });

  it("accepts a well-formed file", () => {
    const f = parseExposition(`${ok}lvsplay_x{h="a\\"b",i="\\\\"} 1.5e3\nlvsplay_x{h="c"} +Inf\n`);
    expect(f.get("lvsplay_x")?.samples).toEqual([
      { labels: { h: 'a"b', i: "\\" }, value: 1500 },
      { labels: { h: "c" }, value: Number.POSITIVE_INFINITY },
    ]);
  });
});
