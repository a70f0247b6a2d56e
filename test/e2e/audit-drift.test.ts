// Issue 6: `lvsplay audit` against the lab, one test per drift kind. Each:
// audit clean (exit 0) → drift injected directly on a host (nsenter, not
// lvsplay) → audit exits 2 reporting exactly that item and nothing else, and
// leaves every host byte-for-byte as it found it → apply repairs → audit 0.
// Plus: an unreachable host gives 3 while the others are still reported.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import type { AuditReport, DriftItem, DriftKind } from "../../src/audit/report.js";
import { ExitCode } from "../../src/cli/exit-codes.js";
import { timing, useE2eLab } from "./support/e2e-lab.js";
import {
  KEEPALIVED_CONF,
  LVSPLAY_CONF,
  linkMac,
  processRunning,
  RULES_V4,
  vipHolders,
  waitFor,
} from "./support/host-state.js";
import { applyJson, describeProblems, runLvsplay } from "./support/lvsplay-cli.js";
import { labSnapshot } from "./support/snapshot.js";

const lab = useE2eLab("audit");

interface AuditRun {
  readonly code: number | null;
  readonly report: AuditReport;
  readonly text: string;
}

async function audit(inventory = lab.inventoryFile): Promise<AuditRun> {
  const run = await runLvsplay(["audit", inventory, "--json"]);
  let report: AuditReport;
  try {
    report = JSON.parse(run.stdout) as AuditReport;
  } catch {
    throw new Error(
      `audit --json (exit ${run.code}) wrote no JSON:\n${run.stdout}\n--- stderr:\n${run.stderr}`,
    );
  }
  timing("audit", run.durationMs);
  const text = await runLvsplay(["audit", inventory, "--plain"]);
  return { code: run.code, report, text: text.stdout };
}

const items = (r: AuditReport): DriftItem[] => Object.values(r.hosts).flatMap((h) => h.drift);
const problems = (r: AuditReport) =>
  JSON.stringify(
    Object.fromEntries(Object.entries(r.hosts).filter(([, h]) => h.status !== "clean")),
    null,
    2,
  );

async function expectClean(what: string): Promise<void> {
  const run = await audit();
  expect(problems(run.report), `${what}: audit should find nothing`).toBe("{}");
  expect(run.code).toBe(ExitCode.ok);
  expect(run.text).toMatch(/no drift on 4 host\(s\)/);
}

async function applyAndSettle(what: string): Promise<void> {
  const run = await applyJson(lab.inventoryFile);
  timing(`${what}: apply`, run.durationMs);
  expect(run.code, describeProblems(run.json)).toBe(ExitCode.ok);
  await waitFor("one director to hold the VIP", async () => (await vipHolders(lab)).length === 1);
}

/**
 * The scenario every drift kind goes through. `inject` changes one thing on
 * one host; the audit must report exactly `host`/`kind` and change nothing.
 */
async function driftScenario(
  host: string,
  kind: DriftKind,
  inject: () => Promise<void>,
  check: (item: DriftItem, text: string) => void,
): Promise<void> {
  await expectClean("before the drift");
  await inject();
  const before = await labSnapshot(lab);
  const run = await audit();
  const after = await labSnapshot(lab);
  expect(
    items(run.report).map((i) => [i.host, i.kind]),
    problems(run.report),
  ).toEqual([[host, kind]]);
  expect(run.code).toBe(ExitCode.drift);
  expect(run.report.hosts[host]!.status).toBe("drift");
  expect(run.report.summary).toMatchObject({ hosts: 4, drifted: 1, clean: 3, failed: 0, unreachable: 0 });
  check(items(run.report)[0]!, run.text);
  // The audit itself changed nothing on any host.
  expect(after).toEqual(before);
  await applyAndSettle(`repair ${kind}`);
  await expectClean(`after repairing ${kind}`);
}

/**
 * A new MAC is only learnt once ARP caches forget the old one: flush them on the
 * lab's bridge (this machine's side) and in every lab host, as a real NIC swap
 * would be followed by gratuitous ARP.
 */
async function forgetNeighbours(): Promise<void> {
  const { execFileSync } = await import("node:child_process");
  execFileSync("ip", ["neigh", "flush", "dev", lab.bridge]);
  for (const node of Object.keys(lab.facts.interfaces))
    await lab.read(node, ["ip", "neigh", "flush", "dev", lab.facts.interfaces[node]!]);
}

beforeAll(async () => {
  await applyAndSettle("converge");
}, 180_000);

describe("audit: one test per drift kind", () => {
  it("mark rule deleted", async () => {
    const ds1 = lab.facts.directors[0]!;
    await driftScenario(
      ds1,
      "mark-rule-missing",
      async () => void (await lab.read(ds1, ["iptables", "-t", "mangle", "-F", "LVSPLAY-MARK"])),
      (item, text) => {
        expect(item.severity).toBe("critical");
        expect(item.summary).toMatch(
          /no peer-excluding mark rule — ping-pong loop .* possible until `lvsplay apply`/,
        );
        expect(item.actual).toBeNull();
        expect(text).toMatch(/^CRITICAL ds1: no peer-excluding mark rule/m);
        // verify saw the missing rule too: shown, but not a failure while drift is pending.
        expect(text).toMatch(/^UNVERIFIED ds1: check mark rules: /m);
      },
    );
  });

  it("mark rule with a stale MAC: a director's data interface got a new MAC", async () => {
    // ds1 gets a new NIC (MAC); ds2 (firewalld) still excludes the old one.
    const [ds1, ds2] = [lab.facts.directors[0]!, lab.facts.directors[1]!];
    const iface = lab.facts.interfaces[ds1]!;
    const old = await linkMac(lab, ds1, iface);
    const fresh = "02:99:00:00:00:1c";
    await driftScenario(
      ds2,
      "mark-rule-stale-mac",
      async () => {
        await lab.read(ds1, ["ip", "link", "set", iface, "address", fresh]);
        await forgetNeighbours();
      },
      (item, text) => {
        expect(item.severity).toBe("critical");
        expect(item.summary).toBe(
          `${ds2}: peer set holds ${old}, but ${ds1}'s data interface ${iface} now has ${fresh} — ping-pong loop between the directors possible until \`lvsplay apply\``,
        );
        // Only the ipset's members change (runtime, then permanent): one finding, one fix.
        expect(item.fix).toMatch(
          /^firewalld runtime: --ipset=lvs_mark_list --add-entry=\S+; firewalld runtime: --ipset=lvs_mark_list --remove-entry=\S+; firewalld permanent: --ipset=lvs_mark_list --add-entry=\S+; firewalld permanent: --ipset=lvs_mark_list --remove-entry=\S+$/,
        );
        expect(text).toContain(`but ${ds1}'s data interface ${iface} now has ${fresh}`);
      },
    );
  });

  it("lvsplay.conf edited by hand", async () => {
    const ds2 = lab.facts.directors[1]!;
    await driftScenario(
      ds2,
      "keepalived-config",
      async () => void (await lab.read(ds2, ["sed", "-i", "s/advert_int 1/advert_int 3/", LVSPLAY_CONF])),
      (item, text) => {
        expect(item.severity).toBe("high");
        expect(item.diff).toMatch(/^-\s+advert_int 3$/m);
        expect(item.diff).toMatch(/^\+\s+advert_int 1$/m);
        expect(item.fix).toMatch(/then reload keepalived$/);
        expect(text).not.toMatch(/auth_pass\s+(?!<redacted>)\S/);
      },
    );
  });

  it("the include line removed from keepalived.conf; the host's own lines there are never drift", async () => {
    const ds1 = lab.facts.directors[0]!;
    const own = "# e2e: a line the host's operator added, not lvsplay's business";
    await lab.read(ds1, ["sh", "-c", 'printf "%s\\n" "$1" >> "$2"', "sh", own, KEEPALIVED_CONF]);
    await driftScenario(
      ds1,
      "keepalived-config",
      async () =>
        void (await lab.read(ds1, ["sed", "-i", `\\#^include ${LVSPLAY_CONF}$#d`, KEEPALIVED_CONF])),
      (item) => {
        expect(item.summary).toBe(
          `${ds1}: ${KEEPALIVED_CONF} does not include ${LVSPLAY_CONF}: keepalived runs without lvsplay's instance after its next reload`,
        );
        expect(item.diff).toMatch(new RegExp(`^\\+include ${LVSPLAY_CONF}$`, "m"));
        expect(item.diff).not.toMatch(/^-(?!--)/m);
      },
    );
    expect(await lab.read(ds1, ["cat", KEEPALIVED_CONF])).toContain(`${own}\n`);
  });

  it("keepalived stopped", async () => {
    const ds1 = lab.facts.directors[0]!;
    await driftScenario(
      ds1,
      "keepalived-stopped",
      async () => {
        await lab.read(ds1, ["pkill", "-x", "keepalived"]);
        await waitFor("keepalived to exit", async () => !(await processRunning(lab, ds1, "keepalived")));
      },
      (item) => {
        expect(item.summary).toBe(
          `${ds1}: keepalived is not running — this director does no VRRP and no IPVS`,
        );
        expect([item.expected, item.actual]).toEqual(["running", "stopped"]);
      },
    );
  });

  it("persisted rules differ from the runtime rules", async () => {
    const ds1 = lab.facts.directors[0]!;
    await driftScenario(
      ds1,
      "persisted-rules",
      async () => void (await lab.read(ds1, ["sed", "-i", "/^-A LVSPLAY-MARK /d", RULES_V4])),
      (item) => {
        expect(item.severity).toBe("medium");
        expect(item.summary).toMatch(/a reboot would bring back the wrong rules/);
        expect(item.diff).toMatch(/^\+-A LVSPLAY-MARK /m);
      },
    );
  });

  it("DR sysctl reverted on a real server", async () => {
    const rs = lab.facts.realServers.find((h) => !lab.facts.directors.includes(h))!;
    await driftScenario(
      rs,
      "dr-sysctl",
      async () => void (await lab.read(rs, ["sysctl", "-q", "-w", "net.ipv4.conf.all.arp_ignore=0"])),
      (item) => {
        expect([item.expected, item.actual]).toEqual([
          "net.ipv4.conf.all.arp_ignore = 1",
          "net.ipv4.conf.all.arp_ignore = 0",
        ]);
        expect(item.summary).toMatch(/may answer ARP for the VIP/);
      },
    );
  });

  it("VIP missing from lo on a real server", async () => {
    const rs = lab.facts.realServers.find((h) => !lab.facts.directors.includes(h))!;
    const { vip } = lab.facts;
    await driftScenario(
      rs,
      "vip-on-lo",
      async () => void (await lab.read(rs, ["ip", "addr", "del", `${vip}/32`, "dev", "lo"])),
      (item) => {
        expect(item.summary).toBe(
          `${rs}: VIP ${vip}/32 missing from lo — requests the directors forward here are dropped`,
        );
        expect(item.fix).toBe(`add VIP ${vip}/32 to lo`);
      },
    );
  });
});

describe("audit: unreachable hosts", () => {
  it("an unreachable host gives exit 3 and the other hosts are still reported (drift too)", async () => {
    const rs = lab.facts.realServers.find((h) => !lab.facts.directors.includes(h))!;
    const ds1 = lab.facts.directors[0]!;
    // The same inventory, except that the real server's sshd is looked for on a closed port.
    const inventory = parse(readFileSync(lab.inventoryFile, "utf8")) as {
      hosts: Record<string, Record<string, unknown>>;
    };
    inventory.hosts[rs] = { ...inventory.hosts[rs], port: 1 };
    const broken = path.join(path.dirname(lab.inventoryFile), "unreachable.yaml");
    writeFileSync(broken, stringify(inventory));

    await lab.read(ds1, ["sysctl", "-q", "-w", "net.ipv4.conf.lo.arp_announce=0"]);
    const run = await audit(broken);
    expect(run.code).toBe(ExitCode.hostsFailed);
    expect(run.report.hosts[rs]!.status).toBe("unreachable");
    expect(run.report.hosts[rs]!.errors.join(" ")).toMatch(
      new RegExp(`cannot connect to host ${rs} .*:1\\)`),
    );
    expect(items(run.report).map((i) => [i.host, i.kind])).toEqual([[ds1, "dr-sysctl"]]);
    expect(run.report.summary).toMatchObject({ hosts: 4, unreachable: 1, drifted: 1, clean: 2 });
    expect(run.text).toMatch(new RegExp(`^UNREACHABLE ${rs}: `, "m"));

    await applyAndSettle("repair after unreachable");
    await expectClean("after the unreachable test");
  });

  it("--prom-file: per-host gauges; the last success survives a failed audit", async () => {
    const prom = path.join(path.dirname(lab.inventoryFile), "lvsplay.prom");
    const sample = (text: string, series: string) =>
      Number(new RegExp(`^${series.replace(/[{}"]/g, "\\$&")} (\\S+)$`, "m").exec(text)?.[1]);
    const clean = await runLvsplay(["audit", lab.inventoryFile, "--prom-file", prom]);
    expect(clean.code).toBe(ExitCode.ok);
    const first = readFileSync(prom, "utf8");
    for (const host of Object.keys(lab.facts.interfaces))
      expect(sample(first, `lvsplay_audit_drift_items{host="${host}"}`)).toBe(0);
    const success = sample(first, "lvsplay_audit_last_success_timestamp_seconds");
    expect(success).toBeGreaterThan(Date.now() / 1000 - 60);

    const rs = lab.facts.realServers.find((h) => !lab.facts.directors.includes(h))!;
    const broken = path.join(path.dirname(lab.inventoryFile), "unreachable.yaml");
    const failed = await runLvsplay(["audit", broken, "--prom-file", prom]);
    expect(failed.code).toBe(ExitCode.hostsFailed);
    const second = readFileSync(prom, "utf8");
    expect(sample(second, `lvsplay_audit_host_unreachable{host="${rs}"}`)).toBe(1);
    expect(sample(second, "lvsplay_audit_exit_code")).toBe(3);
    expect(sample(second, "lvsplay_audit_last_success_timestamp_seconds")).toBe(success);
  });
});
