// Issue 5, three co-located directors on a real IPVS kernel: every director's
// mark rule must exclude BOTH peers' MACs, and the data path must stay loop-free
// with answers from all four real servers; then the same cluster under load
// (issue 16, support/under-load.ts): steady state, then lvs.connection_sync
// turned on (sync daemons following VRRP, backup_only) and a failover and
// failback of the MASTER under load with it — without it a failback can loop
// a client SYN between two directors through stale IPVS connection entries;
// then a rolling apply under load, and long-lived keep-alive connections
// through a failover and failback with connection_sync and without (the control).
// Own guest (fresh lab, fresh hosts).
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  inventoryWithConnectionSync,
  SYNC_MAXLEN,
  syncDaemonOf,
  sysctlOf,
} from "./support/connection-sync.js";
import { dataPlaneMac, describeDataPath, measureDataPath } from "./support/data-path.js";
import {
  GUEST_START_LIMIT_MS,
  type GuestLab,
  inHostOk,
  newStateDir,
  startGuestLab,
  stopGuestLab,
} from "./support/guest-lab.js";
import { ipvsStats, STATS_SETTLE_MS } from "./support/ipvs-stats.js";
import { keepAliveThroughFailover, serveKeepAlive } from "./support/keepalive-survival.js";
import { secs } from "./support/load.js";
import { runApply, totalOf, verifyChecks } from "./support/lvsplay-apply.js";
import { rollingApplyUnderLoad } from "./support/rolling-under-load.js";
import { failoverUnderLoad, type LoadCluster, steadyStateUnderLoad } from "./support/under-load.js";

const TOPOLOGY = fileURLToPath(new URL("./fixtures/lvs3.clab.yml", import.meta.url));
const VIP = "7.7.7.100";
/** rs3's data-plane address in the topology (a real server only). */
const RS3 = "7.7.7.13";
const DIRECTORS = ["ds1", "ds2", "ds3"] as const;
/** Added by the rolling apply, served by a keep-alive server: the survival tests' port. */
const KEEPALIVE_PORT = 8080;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The `-m mac ! --mac-source` MACs of each lvsplay mark rule for the VIP in `iptables-save` output. */
function excludedMacsOfMarkRules(iptablesSave: string, vip: string): string[][] {
  return iptablesSave
    .split("\n")
    .filter((l) => l.startsWith("-A ") && l.includes(`-d ${vip}/32`) && l.includes("MARK"))
    .map((l) => [...l.matchAll(/! --mac-source ([0-9A-Fa-f:]{17})/g)].map((m) => m[1]!.toLowerCase()).sort());
}

describe("three co-located directors on a real IPVS kernel", () => {
  const dirs = newStateDir("lvsplay-dp3-");
  const fileStarted = Date.now();
  let lab: GuestLab;
  let macs: Map<string, string>;
  /** The lab's inventory with connection_sync turned on (written by the test that applies it). */
  let synced = "";
  /** The rolling apply's inventory (port KEEPALIVE_PORT added, scheduler wlc, connection_sync on). */
  let rolledInventory = "";
  let syncOff = false;
  /** The README's data-plane table rows this file measured. */
  const table: string[] = [];
  const cluster = (label = "3 directors"): LoadCluster => ({
    vip: VIP,
    port: 80,
    directors: DIRECTORS,
    directorMacs: [...macs.values()],
    realServers: ["ds1", "ds2", "ds3", "rs3"],
    label,
  });

  beforeAll(async () => {
    lab = await startGuestLab(TOPOLOGY, dirs);
    macs = new Map(await Promise.all(DIRECTORS.map(async (d) => [d, await dataPlaneMac(lab, d)] as const)));
  }, GUEST_START_LIMIT_MS);

  afterAll(async () => {
    await stopGuestLab(dirs);
    console.log(`data-plane file (3 directors): wall time ${secs(Date.now() - fileStarted)}`);
    if (table.length > 0) console.log(`measured (the README's data-plane table):\n${table.join("\n")}`);
  }, 600_000);

  it("lvsplay apply succeeds and its own verify stage passes", async () => {
    const apply = await runApply(lab.up.inventoryFile);
    console.log(`lvsplay apply (3 directors): ${secs(apply.ms)}, exit ${apply.code}`);
    const checks = verifyChecks(apply);
    console.log(checks.map((c) => `  ${c.line}`).join("\n"));
    expect(apply.code, apply.stderr.slice(-3000)).toBe(0);
    expect(totalOf(apply, "failed")).toBe(0);
    expect(totalOf(apply, "unreachable")).toBe(0);
    expect(checks.filter((c) => c.status !== "pass").map((c) => c.line)).toEqual([]);
    expect(checks.some((c) => c.line.startsWith("client: requests to web → pass"))).toBe(true);
  }, 3_600_000);

  it("every director's mark rule excludes both peers' MACs", async () => {
    for (const d of DIRECTORS) {
      const save = await inHostOk(lab, d, ["iptables-save", "-t", "mangle"]);
      const rules = excludedMacsOfMarkRules(save, VIP);
      const peers = DIRECTORS.filter((p) => p !== d)
        .map((p) => macs.get(p)!)
        .sort();
      console.log(`${d}: mark rule(s) exclude ${rules.map((r) => r.join(", ")).join(" | ")}`);
      expect(rules.length, save).toBeGreaterThan(0);
      for (const excluded of rules) expect(excluded, save).toEqual(peers);
    }
  });

  it("every request answered by all four real servers, no SYN crosses twice", async () => {
    const run = await measureDataPath(lab, {
      vip: VIP,
      captureOn: [...DIRECTORS],
      directorMacs: [...macs.values()],
      // 4 real servers under rr: 40 requests give every server 10.
      count: 40,
    });
    await sleep(STATS_SETTLE_MS);
    const backups = await Promise.all(["ds2", "ds3"].map((d) => ipvsStats(lab, d)));
    console.log(describeDataPath("3 directors, lvsplay layout", run));
    expect(run.tally.answered).toBe(run.tally.sent);
    expect([...run.tally.byServer.keys()].sort()).toEqual(["ds1", "ds2", "ds3", "rs3"]);
    // The MASTER (ds1) forwarded SYNs to both other directors, each once.
    expect(run.captures.get("ds2")!.crossings.betweenDirectors).toBeGreaterThan(0);
    expect(run.captures.get("ds3")!.crossings.betweenDirectors).toBeGreaterThan(0);
    for (const [host, c] of run.captures)
      expect(c.crossings.max, `${host}: ${c.crossings.maxKey}`).toBeLessThanOrEqual(1);
    for (const stats of backups) {
      const fwm = stats.services.find((s) => s.id.startsWith("FWM"));
      expect(fwm, stats.text).toBeDefined();
      expect(fwm?.inPkts, stats.text).toBe(0);
    }
  }, 3_600_000);

  it("under load, steady state: 1000 requests answered by all four, no double crossing, backups idle", async () => {
    table.push(await steadyStateUnderLoad(lab, cluster()));
  }, 3_600_000);

  it("connection_sync turned on: master sync daemon on the MASTER, backup daemons and backup_only elsewhere, one shared mark", async () => {
    synced = inventoryWithConnectionSync(lab.up.inventoryFile);
    const apply = await runApply(synced);
    console.log(`lvsplay apply turning connection_sync on: ${secs(apply.ms)}, exit ${apply.code}`);
    expect(apply.code, apply.stderr.slice(-3000)).toBe(0);
    expect(totalOf(apply, "failed")).toBe(0);
    const marks = new Set<string>();
    for (const d of DIRECTORS) {
      const { daemon, text } = await syncDaemonOf(lab, d);
      const backupOnly = await sysctlOf(lab, d, "net.ipv4.vs.backup_only");
      const fwm = (await ipvsStats(lab, d)).services.filter((s) => s.id.startsWith("FWM")).map((s) => s.id);
      console.log(`${d}: sync daemon ${daemon}, backup_only ${backupOnly}, ${fwm.join(", ")}`);
      expect(daemon, text).toBe(d === "ds1" ? "master" : "backup");
      // The master sends messages of connection_sync_maxlen bytes (the kernel keeps the size asked).
      if (d === "ds1") expect(text).toMatch(new RegExp(`\\bmaxlen=${SYNC_MAXLEN}\\b`));
      expect(backupOnly).toBe("1");
      expect(fwm).toHaveLength(1);
      marks.add(fwm[0]!);
    }
    expect([...marks]).toHaveLength(1);
  }, 3_600_000);

  it("under load with connection_sync, failover and failback of the MASTER: no double crossing, failures bounded, the gap measured", async () => {
    table.push(await failoverUnderLoad(lab, cluster("3 directors, connection_sync")));
    // The sync daemons followed the VIP there and back.
    for (const d of DIRECTORS) {
      const { daemon, text } = await syncDaemonOf(lab, d);
      expect(daemon, `${d}: ${text}`).toBe(d === "ds1" ? "master" : "backup");
    }
  }, 3_600_000);

  it("under load with connection_sync, a rolling apply (--serial auto) of a new port and a real server weight: changed in place, no VIP moves, 0 failed requests", async () => {
    expect(synced, "the connection_sync apply ran first").not.toBe("");
    // The new port is served by a keep-alive server (the survival tests' connections).
    await serveKeepAlive(lab, cluster().realServers, KEEPALIVE_PORT);
    const rolled = await rollingApplyUnderLoad(lab, cluster("3 directors, connection_sync"), synced, {
      kind: "in-place",
      addPort: KEEPALIVE_PORT,
      weight: { realServer: "rs3", address: RS3, weight: 2 },
    });
    table.push(rolled.row);
    rolledInventory = rolled.inventory;
  }, 3_600_000);

  it("under load with connection_sync, a rolling apply of a VRRP change and a scheduler: the master hands its VIP over by priority and takes it back, failures bounded", async () => {
    expect(rolledInventory, "the in-place rolling apply ran first").not.toBe("");
    const rolled = await rollingApplyUnderLoad(
      lab,
      cluster("3 directors, connection_sync"),
      rolledInventory,
      {
        kind: "hand-over",
        notifyFault: "/usr/bin/true lvsplay-roll",
        scheduler: "wlc",
      },
    );
    table.push(rolled.row);
    rolledInventory = rolled.inventory;
  }, 3_600_000);

  it("keep-alive connections with connection_sync: the new holder carries those to other real servers through the failover", async () => {
    expect(rolledInventory, "the rolling apply ran first").not.toBe("");
    const run = await keepAliveThroughFailover(
      lab,
      { ...cluster("3 directors"), port: KEEPALIVE_PORT },
      { sync: true },
    );
    table.push(run.row);
  }, 3_600_000);

  it("connection_sync turned off again: no sync daemon anywhere, verify passes", async () => {
    expect(rolledInventory, "the rolling apply ran first").not.toBe("");
    const apply = await runApply(inventoryWithConnectionSync(rolledInventory, false));
    console.log(`lvsplay apply turning connection_sync off: ${secs(apply.ms)}, exit ${apply.code}`);
    expect(apply.code, apply.stderr.slice(-3000)).toBe(0);
    expect(totalOf(apply, "failed")).toBe(0);
    for (const d of DIRECTORS) {
      const { daemon, text } = await syncDaemonOf(lab, d);
      expect(daemon, `${d}: ${text}`).toBe("none");
    }
    syncOff = true;
  }, 3_600_000);

  it("keep-alive connections without connection_sync (the control): those the new holder did not schedule break", async () => {
    expect(syncOff, "connection_sync was turned off first").toBe(true);
    const run = await keepAliveThroughFailover(
      lab,
      { ...cluster("3 directors"), port: KEEPALIVE_PORT },
      { sync: false },
    );
    table.push(run.row);
  }, 3_600_000);
});
