// Drift items from check-mode results: one per drifted task, operator language,
// most urgent first, the persisted copy of drifted mark rules folded into the
// mark-rule item, handlers named in the fix.
import { describe, expect, it } from "vitest";
import { hostDriftItems } from "../../src/audit/classify.js";
import { type ChangeCauseKind, cause } from "../../src/engine/cause.js";
import type { TaskResult } from "../../src/engine/events.js";
import type { Change } from "../../src/engine/types.js";
import { describeMarkDrift, excludedMacs } from "../../src/lvs/marks/drift.js";

const rule = (mac: string) =>
  `-A LVSPLAY-MARK -d 7.7.7.100/32 -p tcp -m tcp --dport 80 -m mac ! --mac-source ${mac} -j MARK --set-xmark 0x1/0xffffffff`;
const directors = [
  { name: "ds1", interface: "eth1", mac: "02:00:07:07:07:11", address: "7.7.7.11" },
  { name: "ds2", interface: "eth1", mac: "02:00:07:07:07:1c", address: "7.7.7.12" },
];

function result(op: string, task: string, changes: Change[], extra: Partial<TaskResult> = {}): TaskResult {
  return {
    host: "ds1",
    stage: "s",
    task,
    op,
    status: changes.length > 0 ? "changed" : "ok",
    changes,
    notes: [],
    checks: [],
    handler: false,
    durationMs: 1,
    ...extra,
  };
}
const command = (
  why: ChangeCauseKind,
  subject: string | undefined,
  summary: string,
  before?: string,
  after?: string,
): Change => ({
  kind: "command",
  cause: cause(why, subject),
  summary,
  command: { argv: ["true"] },
  ...(before !== undefined ? { before } : {}),
  ...(after !== undefined ? { after } : {}),
});
const file = (why: ChangeCauseKind, path: string, before: string | null, after: string): Change => ({
  kind: "file",
  cause: cause(why),
  summary: `write ${path}`,
  path,
  before,
  after,
  mode: "0644",
});

describe("describeMarkDrift", () => {
  it("a rule excluding a MAC no peer has names the peer and its new MAC", () => {
    const note = describeMarkDrift({
      host: "ds1",
      current: [rule("02:00:07:07:07:0C")],
      desired: [rule("02:00:07:07:07:1c")],
      hooked: true,
      directors,
    });
    expect(note.kind).toBe("mark-rule-stale-mac");
    expect(note.severity).toBe("critical");
    expect(note.summary).toBe(
      "ds1: mark rule excludes 02:00:07:07:07:0c, but ds2's data interface eth1 now has 02:00:07:07:07:1c — ping-pong loop between the directors possible until `lvsplay apply`",
    );
  });

  it("no rule, or rules PREROUTING does not jump to, is a missing rule; other differences are not a loop risk", () => {
    const base = { host: "ds1", desired: [rule("02:00:07:07:07:1c")], directors };
    expect(describeMarkDrift({ ...base, current: [], hooked: true }).kind).toBe("mark-rule-missing");
    expect(
      describeMarkDrift({ ...base, current: [rule("02:00:07:07:07:1c")], hooked: false }).summary,
    ).toMatch(/not hooked into mangle PREROUTING/);
    const differs = describeMarkDrift({
      ...base,
      current: [rule("02:00:07:07:07:1c").replace("--dport 80", "--dport 81")],
      hooked: true,
    });
    expect([differs.kind, differs.severity]).toEqual(["mark-rule-differs", "high"]);
  });

  it("excludedMacs reads iptables-save and firewalld rule syntax alike", () => {
    expect(
      excludedMacs([
        rule("AA:BB:CC:DD:EE:FF"),
        "ipv4 mangle LVSPLAY-MARK 0 -m mac ! --mac-source 02:00:00:00:00:01",
      ]),
    ).toEqual(["aa:bb:cc:dd:ee:ff", "02:00:00:00:00:01"]);
  });
});

describe("hostDriftItems", () => {
  it("sorts by severity, one item per drifted task, unchanged tasks ignored", () => {
    const items = hostDriftItems([
      result("lvs.packages", "packages", [command("package-missing", "ipset", "install ipset (apt)")]),
      result("lvs.dr_sysctl", "DR sysctls", [
        command("dr-sysctl-live", undefined, "apply net.ipv4.conf.all.arp_ignore", "x = 0", "x = 1"),
      ]),
      result("lvs.keepalived", "conf", []),
      result("service", "keepalived running", [
        command("service-stopped", "keepalived", "start keepalived (sysv)", "stopped", "running"),
      ]),
    ]);
    expect(items.map((i) => [i.kind, i.severity])).toEqual([
      ["dr-sysctl", "high"],
      ["keepalived-stopped", "high"],
      ["package-missing", "low"],
    ]);
    expect(items[0]).toMatchObject({
      expected: "x = 1",
      actual: "x = 0",
      fix: "apply net.ipv4.conf.all.arp_ignore",
    });
    expect(items[1]!.summary).toBe("ds1: keepalived is not running — this director does no VRRP and no IPVS");
  });

  it("folds the persisted copy into the mark-rule item and names the handler the fix runs", () => {
    const note = describeMarkDrift({
      host: "ds1",
      current: [],
      desired: [rule("02:00:07:07:07:1c")],
      hooked: true,
      directors,
    });
    const items = hostDriftItems([
      result("lvs.marks", "marks", [
        {
          ...command("mark-rule-missing", undefined, "replace LVSPLAY-MARK (1 rule line(s) differ)"),
          drift: note,
        },
      ]),
      result("lvs.persist", "persist", [file("persisted-rules", "/etc/iptables/rules.v4", "old\n", "new\n")]),
      result(
        "lvs.keepalived",
        "conf",
        [file("keepalived-config", "/etc/keepalived/keepalived.conf", "a\n", "b\n")],
        {
          stage: "k",
        },
      ),
      result(
        "service",
        "handler: reload keepalived",
        [command("service-reload", "keepalived", "reload keepalived (sysv)")],
        {
          stage: "k",
          handler: true,
        },
      ),
    ]);
    expect(items.map((i) => i.kind)).toEqual(["mark-rule-missing", "keepalived-config"]);
    expect(items[0]!.fix).toBe("replace LVSPLAY-MARK (1 rule line(s) differ); write /etc/iptables/rules.v4");
    expect(items[0]!.diff).toMatch(/^-old$/m);
    expect(items[1]!.fix).toBe("write /etc/keepalived/keepalived.conf, then reload keepalived");
    expect(items[1]!.diff).toMatch(/^\+b$/m);
  });

  it("a sync daemon nothing asks for is critical, with its before/after as evidence", () => {
    const items = hostDriftItems([
      result("lvs.keepalived", "keepalived file", [
        command(
          "ipvs-sync-daemon",
          "backup",
          "stop the IPVS backup sync daemon",
          "backup sync daemon running",
          "no backup sync daemon",
        ),
      ]),
    ]);
    expect(items).toMatchObject([
      {
        kind: "ipvs-sync-daemon",
        severity: "critical",
        expected: "no backup sync daemon",
        actual: "backup sync daemon running",
      },
    ]);
    expect(items[0]!.summary).toMatch(
      /^ds1: an IPVS backup sync daemon runs that no keepalived configuration asks for/,
    );
  });

  it("a drain file left behind is high: the director takes no VIP while it is there", () => {
    const items = hostDriftItems([
      result("lvs.keepalived", "keepalived file", [
        command(
          "drain-left-behind",
          undefined,
          "remove /run/lvsplay-drain left behind by a drain",
          "/run/lvsplay-drain present",
          "no /run/lvsplay-drain",
        ),
      ]),
    ]);
    expect(items).toMatchObject([
      {
        kind: "keepalived-drained",
        severity: "high",
        expected: "no /run/lvsplay-drain",
        actual: "/run/lvsplay-drain present",
      },
    ]);
    expect(items[0]!.summary).toMatch(
      /^ds1: a drain file left behind holds this director's VRRP priority at 1/,
    );
  });

  it("never shows the VRRP password in evidence or diffs", () => {
    const items = hostDriftItems([
      result("lvs.keepalived", "conf", [
        file("keepalived-config", "/etc/keepalived/keepalived.conf", "auth_pass old1\n", "auth_pass new2\n"),
      ]),
    ]);
    expect(JSON.stringify(items)).not.toMatch(/old1|new2/);
  });
});
