// Issue 12 §2 on namespace labs: lvsplay joins a director's own keepalived
// configuration instead of replacing it. A site's own VRRP instance (its own
// VRID and VIP) and virtual server keep running through apply: the same
// keepalived process (reloaded, never restarted), the site's VIP present in
// every sample taken while lvsplay ran, no state change in the site's notify
// log, its keepalived.conf unchanged except for one appended include line. Then
// the seed article's hand-made layout on both directors: refused without the
// opt-in (nothing changes on any host), converted with it.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { ExitCode } from "../../src/cli/exit-codes.js";
import type { LabNodeSpec } from "../support/lab-topology.js";
import { type E2eLab, timing, useE2eLab } from "./support/e2e-lab.js";
import {
  addresses,
  keepalivedPid,
  notifyLog,
  startForeignKeepalived,
  watchAddress,
} from "./support/foreign-keepalived.js";
import { KEEPALIVED_CONF, LVSPLAY_CONF, linkMac, vipHolders, waitFor } from "./support/host-state.js";
import { applyJson, changedTasks, describeProblems, recapTotals, runLvsplay } from "./support/lvsplay-cli.js";
import { plainBlocks } from "./support/plain-output.js";
import { labSnapshot } from "./support/snapshot.js";

const NODES: readonly LabNodeSpec[] = [
  { name: "ds1", groups: ["directors", "realservers"] },
  { name: "ds2", groups: ["directors", "realservers"] },
  { name: "rs3", groups: ["realservers"] },
];

interface LabInventory {
  hosts: Record<string, { address: string }>;
  lvs: { vrrp: { virtual_router_id: number }; keepalived?: Record<string, unknown> };
}
const inventoryOf = (lab: E2eLab): LabInventory => parse(readFileSync(lab.inventoryFile, "utf8"));
const subnetOf = (lab: E2eLab): string => lab.facts.vip.split(".").slice(0, 3).join(".");

/** The lab's inventory with changes, written beside it. */
function inventoryVariant(lab: E2eLab, name: string, change: (inv: LabInventory) => void): string {
  const inv = inventoryOf(lab);
  change(inv);
  const file = path.join(path.dirname(lab.inventoryFile), name);
  writeFileSync(file, stringify(inv));
  return file;
}

/** The site's own keepalived.conf: a second VIP with its own VRID and a virtual server, and a notify script. */
function siteConf(lab: E2eLab, vrid: number, vip: string): string {
  const iface = lab.facts.interfaces.ds1 ?? "eth1";
  const rs3 = inventoryOf(lab).hosts.rs3!.address;
  return `! The site's own keepalived: the metrics VIP (not lvsplay's business)
global_defs {
   router_id site-ds1
   enable_script_security
}

vrrp_instance VI_SITE {
    state MASTER
    interface ${iface}
    virtual_router_id ${vrid}
    priority 200
    advert_int 1
    virtual_ipaddress {
        ${vip}/32 dev ${iface}
    }
    notify /usr/local/sbin/site-vrrp-notify root
}

virtual_server ${vip} 9100 {
    delay_loop 10
    lb_algo rr
    lb_kind DR
    protocol TCP
    real_server ${rs3} 9100 {
        TCP_CHECK {
            connect_timeout 3
        }
    }
}
`;
}

describe("a director with its own VRRP instance and virtual server", () => {
  const lab = useE2eLab("ka-coexist", { nodes: NODES });
  let siteVip = "";
  let siteVrid = 0;
  let siteConfText = "";
  let pid = "";

  it("apply keeps the site's instance running: same keepalived, VIP never gone, no state change, its bytes untouched", async () => {
    siteVip = `${subnetOf(lab)}.200`;
    siteVrid = inventoryOf(lab).lvs.vrrp.virtual_router_id + 10;
    siteConfText = siteConf(lab, siteVrid, siteVip);
    // On this kernel (no IPVS) a keepalived with virtual servers runs only VRRP-only (-P): the site's own choice.
    await startForeignKeepalived(lab, "ds1", { conf: siteConfText, daemonArgs: "-P" }, siteVip);
    pid = await keepalivedPid(lab, "ds1");
    // keepalived starts every instance in BACKUP: the log is "BACKUP, MASTER" until something happens.
    const logBefore = await notifyLog(lab, "ds1");
    expect(logBefore.trim().split("\n").at(-1)).toBe("VI_SITE MASTER");

    const watch = watchAddress(lab, "ds1", siteVip);
    const run = await applyJson(lab.inventoryFile);
    const seen = await watch.stop();
    timing("first apply next to the site's keepalived", run.durationMs);
    console.log(`[e2e] site VIP sampled ${seen.samples} times during apply, missing ${seen.missing} times`);

    expect(describeProblems(run.json), "tasks that failed").not.toMatch(/: (failed|unreachable)/);
    expect(run.code).toBe(ExitCode.ok);
    expect(seen.samples).toBeGreaterThan(10);
    expect(seen.missing, "the site's VIP left ds1 while lvsplay ran").toBe(0);
    expect(await keepalivedPid(lab, "ds1"), "keepalived was restarted").toBe(pid);
    expect(await notifyLog(lab, "ds1"), "the site's instance changed state").toBe(logBefore);
    expect(await lab.read("ds1", ["cat", KEEPALIVED_CONF])).toBe(
      `${siteConfText}\ninclude ${LVSPLAY_CONF}\n`,
    );
    expect(await lab.read("ds1", ["cat", "/etc/default/keepalived"])).toBe('DAEMON_ARGS="-P"\n');
    const own = await lab.read("ds1", ["cat", LVSPLAY_CONF]);
    expect(own).toMatch(/^vrrp_instance VI_LVSPLAY \{$/m);
    expect(own, "router_id is the site's").not.toMatch(/^\s*router_id /m);
    // ds2 had no keepalived configuration: its keepalived.conf is only the include line and comments.
    const ds2Main = await lab.read("ds2", ["cat", KEEPALIVED_CONF]);
    expect(ds2Main.split("\n").filter((l) => l !== "" && !l.startsWith("#"))).toEqual([
      `include ${LVSPLAY_CONF}`,
    ]);
    // Both instances run side by side: lvsplay's VIP on one director, the site's on ds1.
    await waitFor("one director to hold lvsplay's VIP", async () => (await vipHolders(lab)).length === 1);
    expect(await addresses(lab, "ds1", lab.facts.interfaces.ds1 ?? "eth1")).toContain(siteVip);
    await lab.read("ds1", ["keepalived", "-t", "-f", KEEPALIVED_CONF]);
  });

  it("a second apply changes nothing (and still leaves the site's instance alone)", async () => {
    const run = await applyJson(lab.inventoryFile);
    timing("second apply", run.durationMs);
    expect(changedTasks(run.json)).toEqual([]);
    expect(recapTotals(run.json.recap)).toEqual({ changed: 0, failed: 0, unreachable: 0 });
    expect(await keepalivedPid(lab, "ds1")).toBe(pid);
    expect((await notifyLog(lab, "ds1")).trim().split("\n")).toEqual(["VI_SITE BACKUP", "VI_SITE MASTER"]);
  });

  it("the audit finds nothing: the site's configuration is never drift", async () => {
    const run = await runLvsplay(["audit", lab.inventoryFile, "--plain"]);
    expect(run.code, run.stdout).toBe(ExitCode.ok);
    expect(run.stdout).toMatch(/no drift on 3 host\(s\)/);
  });

  it("an inventory VRID the site already uses is refused at plan time, on every director, changing nothing", async () => {
    const clash = inventoryVariant(lab, "vrid-clash.yaml", (inv) => {
      inv.lvs.vrrp.virtual_router_id = siteVrid;
    });
    const before = await labSnapshot(lab);
    const run = await runLvsplay(["apply", clash, "--plain"]);
    const after = await labSnapshot(lab);
    expect(run.code, run.stdout).toBe(ExitCode.hostsFailed);
    expect(run.stdout).toContain(
      `keepalived: VRID ${siteVrid} is already used on ${lab.facts.interfaces.ds1} by vrrp_instance VI_SITE`,
    );
    expect(after).toEqual(before);
  });
});

/** The seed article's hand-made layout on one director: VRRP for the VIP, a fwmark service and its mark rule. */
function handMade(lab: E2eLab, director: string, master: boolean, mark: number, vrid: number): string {
  const iface = lab.facts.interfaces[director] ?? "eth1";
  const { vip, port } = lab.facts;
  const hosts = inventoryOf(lab).hosts;
  const realServers = lab.facts.realServers
    .map(
      (rs) =>
        `    real_server ${hosts[rs]!.address} {\n        weight 1\n        TCP_CHECK {\n            connect_port ${port}\n            connect_timeout 3\n        }\n    }\n`,
    )
    .join("");
  return `! ${director}: LVS + keepalived set up by hand (the seed article's fwmark layout)
global_defs {
   router_id ${director.toUpperCase()}
}

vrrp_instance VI_1 {
    state ${master ? "MASTER" : "BACKUP"}
    interface ${iface}
    virtual_router_id ${vrid}
    priority ${master ? 150 : 100}
    advert_int 1
    virtual_ipaddress {
        ${vip}
    }
}

# ${director} 配置 keepalived
virtual_server fwmark ${mark} {
    delay_loop 6
    lb_algo rr
    lb_kind DR
${realServers}}
`;
}

describe("adopting the seed's hand-made configuration", () => {
  const lab = useE2eLab("ka-adopt", { nodes: NODES });
  const original: Record<string, string> = {};

  it("without the opt-in: refused before anything changes on a director, the hand-made VRRP keeps the VIP", async () => {
    const vrid = inventoryOf(lab).lvs.vrrp.virtual_router_id;
    const [ds1, ds2] = ["ds1", "ds2"] as const;
    const macs = { ds1: await linkMac(lab, ds1, "eth1"), ds2: await linkMac(lab, ds2, "eth1") };
    for (const [d, peer, mark] of [
      [ds1, ds2, 3],
      [ds2, ds1, 4],
    ] as const) {
      original[d] = handMade(lab, d, d === ds1, mark, vrid);
      // The article's mark rule: everything for the VIP port that did not come from the peer director.
      await lab.read(d, [
        "iptables",
        "-t",
        "mangle",
        "-I",
        "PREROUTING",
        "-d",
        lab.facts.vip,
        "-p",
        "tcp",
        "--dport",
        String(lab.facts.port),
        "-m",
        "mac",
        "!",
        "--mac-source",
        macs[peer],
        "-j",
        "MARK",
        "--set-mark",
        `0x${mark}`,
      ]);
      await startForeignKeepalived(lab, d, { conf: original[d]!, daemonArgs: "-P" });
    }
    await waitFor(
      "ds1 alone to hold the VIP (hand-made VRRP)",
      async () => (await vipHolders(lab)).join() === "ds1",
    );

    const before = await labSnapshot(lab);
    const run = await runLvsplay(["apply", lab.inventoryFile, "--plain"]);
    const after = await labSnapshot(lab);
    expect(run.code, run.stdout).toBe(ExitCode.hostsFailed);
    const refusals = plainBlocks(run.stdout).filter(
      (b) =>
        b.status === "failed" &&
        b.body.some((l) =>
          l.startsWith(
            `error: keepalived: the host already serves lvsplay's VIP ${lab.facts.vip} with a hand-made keepalived configuration`,
          ),
        ),
    );
    expect(refusals.map((b) => `${b.host} ${b.task}`).sort(), run.stdout).toEqual([
      `${ds1} find data-plane interface and MAC`,
      `${ds2} find data-plane interface and MAC`,
    ]);
    expect(run.stdout).toContain("set lvs.keepalived.adopt: true");
    // The directors failed discovery: no stage ran on them. (rs3, only a real server, still got its
    // VIP on lo and DR sysctls, which the hand-made layout needs just the same.)
    const directorsOf = (snap: typeof before) =>
      Object.fromEntries(Object.entries(snap).filter(([node]) => lab.facts.directors.includes(node)));
    expect(directorsOf(after)).toEqual(directorsOf(before));
    expect(await vipHolders(lab)).toEqual(["ds1"]);
  });

  it("with lvs.keepalived.adopt, check mode shows the conversion as a diff and changes nothing", async () => {
    const adopt = inventoryVariant(lab, "adopt.yaml", (inv) => {
      inv.lvs.keepalived = { adopt: true };
    });
    const before = await labSnapshot(lab);
    const run = await runLvsplay(["apply", adopt, "--check", "--diff", "--plain"]);
    const after = await labSnapshot(lab);
    expect(run.code, run.stdout).toBe(ExitCode.drift);
    const block = plainBlocks(run.stdout).find((b) => b.host === "ds1" && b.task.startsWith("lvsplay.conf"));
    const diff = block?.body.join("\n") ?? "";
    expect(diff, run.stdout).toContain(`--- ${KEEPALIVED_CONF} (before)`);
    expect(diff).toMatch(/^-vrrp_instance VI_1 \{$/m);
    expect(diff).toMatch(/^-virtual_server fwmark 3 \{$/m);
    expect(diff).toContain(`+include ${LVSPLAY_CONF}`);
    expect(after).toEqual(before);
  });

  it("apply converts both directors: the hand-made blocks are gone (backup kept), nothing is duplicated, a second apply is a no-op", async () => {
    const adopt = path.join(path.dirname(lab.inventoryFile), "adopt.yaml");
    const run = await applyJson(adopt);
    timing("adoption apply", run.durationMs);
    expect(describeProblems(run.json)).not.toMatch(/: (failed|unreachable)/);
    expect(run.code).toBe(ExitCode.ok);
    for (const d of ["ds1", "ds2"]) {
      const main = await lab.read(d, ["cat", KEEPALIVED_CONF]);
      expect(main).not.toMatch(/VI_1|virtual_server/);
      expect(main).toContain(`! ${d}: LVS + keepalived set up by hand`);
      expect(main).toContain(`# ${d} 配置 keepalived`);
      expect(main.endsWith(`include ${LVSPLAY_CONF}\n`)).toBe(true);
      expect(await lab.read(d, ["cat", `${KEEPALIVED_CONF}.lvsplay-bak`])).toBe(original[d]);
      // One VRRP instance for the VIP, lvsplay's.
      const own = await lab.read(d, ["cat", LVSPLAY_CONF]);
      expect(own.match(/^vrrp_instance /gm)).toHaveLength(1);
    }
    await waitFor("one director to hold the VIP", async () => (await vipHolders(lab)).length === 1);
    const again = await applyJson(adopt);
    expect(changedTasks(again.json)).toEqual([]);
  });
});
