// Issue 5 on a real IPVS kernel (Debian's 6.1 under QEMU, the namespace lab
// inside): first the naive VIP:port layout on both co-located directors, which
// must visibly loop; then lvsplay's playbook on the same hosts, which must not;
// then failover and health checks on lvsplay's result; then connection_sync
// turned on (firewalld on ds2 opens the sync port) and a failover and failback
// under load (issue 16: two directors as well as three). One guest for the file;
// the tests run in order and each leaves the cluster as lvsplay configured it.
// The topology is the lab's own containerlab/lvs.clab.yml, so ds2 runs
// firewalld: lvsplay's firewalld opening and persistence run on a real IPVS
// kernel too, and the control opens VRRP there by hand (see naive-layout.ts).
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clientRequests, describeTally } from "./support/client-requests.js";
import { inventoryWithConnectionSync, syncDaemonOf, sysctlOf } from "./support/connection-sync.js";
import { dataPlaneMac, describeDataPath, measureDataPath } from "./support/data-path.js";
import {
  GUEST_START_LIMIT_MS,
  type GuestLab,
  inHost,
  inHostOk,
  newStateDir,
  pollUntil,
  SETTLE_LIMIT_MS,
  startGuestLab,
  stopGuestLab,
} from "./support/guest-lab.js";
import { ipvsRealAddresses, ipvsStats, STATS_SETTLE_MS } from "./support/ipvs-stats.js";
import { changedTasks, runApply, totalOf, verifyChecks } from "./support/lvsplay-apply.js";
import { applyNaiveLayout, listAllField, removeNaiveLayout } from "./support/naive-layout.js";
import { excerptOf } from "./support/syn-capture.js";
import { failoverUnderLoad } from "./support/under-load.js";

const TOPOLOGY = fileURLToPath(new URL("../../containerlab/lvs.clab.yml", import.meta.url));
const VIP = "7.7.7.100";
const DIRECTORS = ["ds1", "ds2"] as const;
const REAL_SERVERS = ["ds1", "ds2", "rs3"] as const;
/** Nodes labelled lvsplay.firewalld: "true" in the topology. */
const FIREWALLD = ["ds2"] as const;
const LAYOUT = { vip: VIP, directors: DIRECTORS, realServers: REAL_SERVERS, firewalld: FIREWALLD };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function holdsVip(lab: GuestLab, host: string): Promise<boolean> {
  const out = await inHostOk(lab, host, ["ip", "-4", "-o", "addr", "show", "dev", "eth1"]);
  return out.includes(`inet ${VIP}/32`);
}

/** What firewalld on `host` allows in its default zone, runtime or permanent. */
async function firewalldOpen(lab: GuestLab, host: string, permanent: boolean) {
  const all = await inHostOk(lab, host, [
    "firewall-cmd",
    ...(permanent ? ["--permanent"] : []),
    "--list-all",
  ]);
  return { protocols: listAllField(all, "protocols"), ports: listAllField(all, "ports"), text: all };
}

/** Waits until exactly `master` among the directors holds the VIP on its data interface. */
async function waitForVipOn(lab: GuestLab, master: string, timeoutMs: number): Promise<number> {
  const { ms } = await pollUntil(
    `VIP ${VIP} held by ${master} only`,
    async () => {
      const held = await Promise.all(DIRECTORS.map((d) => holdsVip(lab, d)));
      return DIRECTORS.every((d, i) => held[i] === (d === master)) ? true : undefined;
    },
    { timeoutMs, intervalMs: 500 },
  );
  return ms;
}

/** Waits until every director's IPVS table does (or does not) list `address` as a real server. */
async function waitForRealServer(lab: GuestLab, address: string, present: boolean, timeoutMs: number) {
  const { ms } = await pollUntil(
    `${address} ${present ? "in" : "out of"} IPVS on ${DIRECTORS.join(", ")}`,
    async () => {
      const tables = await Promise.all(DIRECTORS.map((d) => ipvsRealAddresses(lab, d)));
      return tables.every((t) => t.includes(address) === present) ? true : undefined;
    },
    { timeoutMs, intervalMs: 1000 },
  );
  return ms;
}

/** Diagnostics for a failed request: which real server IPVS bound each recent connection to. */
async function logConnectionTables(lab: GuestLab): Promise<void> {
  for (const d of DIRECTORS)
    console.log(`${d} ipvsadm -Lnc:\n${(await inHost(lab, d, ["ipvsadm", "-Lnc"])).stdout}`);
}

describe("two co-located directors on a real IPVS kernel", () => {
  const dirs = newStateDir("lvsplay-dp2-");
  const fileStarted = Date.now();
  let lab: GuestLab;
  let directorMacs: string[];
  let syncOn = false;

  beforeAll(async () => {
    lab = await startGuestLab(TOPOLOGY, dirs);
    directorMacs = await Promise.all(DIRECTORS.map((d) => dataPlaneMac(lab, d)));
  }, GUEST_START_LIMIT_MS);

  afterAll(async () => {
    await stopGuestLab(dirs);
    console.log(`data-plane file (2 directors): wall time ${secs(Date.now() - fileStarted)}`);
  }, 600_000);

  it("control: the naive VIP:port service on both directors ping-pongs SYNs", async () => {
    // Not vacuous: ds2's firewalld is up, and lvsplay has not opened anything there yet.
    for (const host of FIREWALLD) {
      expect((await inHost(lab, host, ["firewall-cmd", "--state"])).stdout.trim()).toBe("running");
      expect((await firewalldOpen(lab, host, false)).protocols).not.toContain("vrrp");
    }
    await applyNaiveLayout(lab, LAYOUT);
    await waitForVipOn(lab, "ds1", SETTLE_LIMIT_MS);
    // keepalived programs the VIP:port service on the BACKUP too — the root of the loop.
    await pollUntil(
      "naive VIP:port service with 3 real servers on both directors",
      async () => {
        const tables = await Promise.all(DIRECTORS.map((d) => ipvsStats(lab, d)));
        const ok = tables.every((t) =>
          t.services.some((s) => s.id === `TCP ${VIP}:80` && s.reals.size === 3),
        );
        return ok ? true : undefined;
      },
      { timeoutMs: SETTLE_LIMIT_MS },
    );

    // curl -m 2 as in the seed's measurement: a looping connection never completes anyway.
    const run = await measureDataPath(lab, { vip: VIP, captureOn: ["ds2"], directorMacs, timeoutSec: 2 });
    await sleep(STATS_SETTLE_MS);
    const peer = await ipvsStats(lab, "ds2");
    const cap = run.captures.get("ds2")!;
    console.log(describeDataPath("naive layout (control)", run));
    if (cap.crossings.maxKey) {
      const frames = cap.frames;
      console.log(
        `capture on ds2 eth1, one looping SYN (${cap.crossings.max} copies):\n${excerptOf(frames, cap.crossings.maxKey)}`,
      );
    }
    console.log(`ds2 (BACKUP) ipvsadm -Ln --stats:\n${peer.text}`);

    // The loop, seen from outside: one SYN bounced between the directors many times…
    expect(cap.crossings.max).toBeGreaterThan(2);
    // …some requests fail…
    expect(run.tally.answered).toBeLessThan(run.tally.sent);
    // …and the BACKUP's own IPVS forwarded director-forwarded packets back to the MASTER.
    const naive = peer.services.find((s) => s.id === `TCP ${VIP}:80`);
    expect(naive?.reals.get("7.7.7.11")?.inPkts ?? 0).toBeGreaterThan(0);
  }, 3_600_000);

  it("lvsplay's playbook on the same hosts: every request answered, no SYN crosses twice", async () => {
    await removeNaiveLayout(lab, LAYOUT);
    for (const d of DIRECTORS) expect((await ipvsStats(lab, d)).services).toEqual([]);
    for (const host of FIREWALLD)
      expect((await firewalldOpen(lab, host, false)).protocols).not.toContain("vrrp");

    const apply = await runApply(lab.up.inventoryFile);
    console.log(`lvsplay apply: ${secs(apply.ms)}, exit ${apply.code}, recap ${JSON.stringify(apply.recap)}`);
    const checks = verifyChecks(apply);
    console.log(checks.map((c) => `  ${c.line}`).join("\n"));
    expect(apply.code, apply.stderr.slice(-3000)).toBe(0);
    expect(totalOf(apply, "failed")).toBe(0);
    expect(totalOf(apply, "unreachable")).toBe(0);
    expect(checks.length).toBeGreaterThan(0);
    expect(checks.filter((c) => c.status !== "pass").map((c) => c.line)).toEqual([]);
    // lvsplay's own cluster check sent requests through the VIP too.
    expect(checks.some((c) => c.line.startsWith("client: requests to web → pass"))).toBe(true);
    // firewalld: lvsplay opened VRRP and the web port itself, runtime AND permanent.
    for (const host of FIREWALLD) {
      const opened = apply.results.find((r) => r.host === host && r.op === "lvs.firewalld_open");
      expect(opened?.status).toBe("changed");
      for (const permanent of [false, true]) {
        const fw = await firewalldOpen(lab, host, permanent);
        expect(fw.protocols, fw.text).toContain("vrrp");
        expect(fw.ports, fw.text).toContain("80/tcp");
      }
    }
    // Connections to a real server the health check removed are expired, not black-holed
    // (the health-check test below reuses client ports that IPVS still holds in FIN_WAIT).
    for (const d of DIRECTORS)
      expect((await inHostOk(lab, d, ["sysctl", "-n", "net.ipv4.vs.expire_nodest_conn"])).trim()).toBe("1");
    await waitForVipOn(lab, "ds1", SETTLE_LIMIT_MS);

    const before = (await ipvsStats(lab, "ds2")).services.find((s) => s.id.startsWith("FWM"));
    const run = await measureDataPath(lab, { vip: VIP, captureOn: ["ds1", "ds2"], directorMacs });
    await sleep(STATS_SETTLE_MS);
    const peer = await ipvsStats(lab, "ds2");
    const master = await ipvsStats(lab, "ds1");
    console.log(describeDataPath("lvsplay layout", run));
    if (run.tally.answered < run.tally.sent) await logConnectionTables(lab);
    console.log(`ds2 (BACKUP) ipvsadm -Ln --stats:\n${peer.text}`);

    expect(run.tally.answered).toBe(run.tally.sent);
    expect(run.tally.sent).toBeGreaterThanOrEqual(30);
    expect([...run.tally.byServer.keys()].sort()).toEqual(["ds1", "ds2", "rs3"]);
    const onPeer = run.captures.get("ds2")!.crossings;
    // Not vacuous: the MASTER did forward SYNs to ds2 (a real server), each exactly once.
    expect(onPeer.betweenDirectors).toBeGreaterThan(0);
    for (const [host, c] of run.captures)
      expect(c.crossings.max, `${host}: ${c.crossings.maxKey}`).toBeLessThanOrEqual(1);
    // The BACKUP's FWM service never saw a packet: director-forwarded packets are unmarked.
    const fwm = peer.services.find((s) => s.id.startsWith("FWM"));
    expect(fwm, peer.text).toBeDefined();
    expect(before?.inPkts ?? 0).toBe(0);
    expect(fwm?.inPkts).toBe(0);
    expect(fwm?.conns).toBe(0);
    const masterFwm = master.services.find((s) => s.id.startsWith("FWM"));
    expect(masterFwm?.conns ?? 0).toBeGreaterThanOrEqual(run.tally.sent);
  }, 3_600_000);

  it("a second apply changes nothing", async () => {
    const again = await runApply(lab.up.inventoryFile);
    console.log(`lvsplay apply (second run): ${secs(again.ms)}, changed ${totalOf(again, "changed")}`);
    expect(again.code, again.stderr.slice(-3000)).toBe(0);
    expect(changedTasks(again)).toEqual([]);
    expect(totalOf(again, "changed")).toBe(0);
    expect(totalOf(again, "failed")).toBe(0);
  }, 3_600_000);

  it("failover: the VIP moves to ds2, requests keep being answered without a loop, ds1 takes it back", async () => {
    const stopped = Date.now();
    await inHostOk(lab, "ds1", ["service", "keepalived", "stop"]);
    try {
      const moved = await waitForVipOn(lab, "ds2", SETTLE_LIMIT_MS);
      console.log(`failover: VIP on ds2 ${secs(moved)} after stopping keepalived on ds1`);
      const run = await measureDataPath(lab, { vip: VIP, captureOn: ["ds1", "ds2"], directorMacs });
      console.log(describeDataPath("after failover (ds2 MASTER)", run));
      if (run.tally.answered < run.tally.sent) await logConnectionTables(lab);
      expect(run.tally.answered).toBe(run.tally.sent);
      // ds1 still serves as a real server (its httpd and VIP on lo stay).
      expect([...run.tally.byServer.keys()].sort()).toEqual(["ds1", "ds2", "rs3"]);
      expect(run.captures.get("ds1")!.crossings.betweenDirectors).toBeGreaterThan(0);
      for (const [host, c] of run.captures)
        expect(c.crossings.max, `${host}: ${c.crossings.maxKey}`).toBeLessThanOrEqual(1);
    } finally {
      await inHost(lab, "ds1", ["service", "keepalived", "start"]);
    }
    // preempt: the higher-priority ds1 takes the VIP back.
    const back = await waitForVipOn(lab, "ds1", SETTLE_LIMIT_MS);
    console.log(
      `failback: VIP on ds1 again ${secs(back)} after restarting keepalived (${secs(Date.now() - stopped)} total)`,
    );
    await waitForRealServer(lab, "7.7.7.11", true, SETTLE_LIMIT_MS);
    const after = await clientRequests(lab, { vip: VIP });
    console.log(describeTally("after failback", after));
    expect(after.answered).toBe(after.sent);
  }, 3_600_000);

  it("health checks: a dead rs3 leaves both directors' IPVS tables and comes back", async () => {
    const ps = await inHostOk(lab, "rs3", ["ps", "-eo", "pid=,args="]);
    const line = ps.split("\n").find((l) => /busybox httpd -p 80\b/.test(l));
    const pid = Number(line?.trim().split(/\s+/)[0]);
    expect(pid, ps).toBeGreaterThan(1);
    await inHostOk(lab, "rs3", ["kill", String(pid)]);
    let restarted = false;
    try {
      // delay_loop 5 + (connect_timeout 3 + delay_before_retry 1) × (retry 2 + 1) ≈ 17 s; margin for emulation.
      const gone = await waitForRealServer(lab, "7.7.7.13", false, SETTLE_LIMIT_MS);
      console.log(`health check: 7.7.7.13 removed from ds1 and ds2 ${secs(gone)} after its httpd died`);
      const run = await clientRequests(lab, { vip: VIP });
      console.log(describeTally("rs3 down", run));
      if (run.answered < run.sent) await logConnectionTables(lab);
      expect(run.answered).toBe(run.sent);
      expect([...run.byServer.keys()].sort()).toEqual(["ds1", "ds2"]);
    } finally {
      restarted =
        (await inHost(lab, "rs3", ["busybox", "httpd", "-p", "80", "-h", "/var/www/html"])).code === 0;
    }
    expect(restarted).toBe(true);
    const back = await waitForRealServer(lab, "7.7.7.13", true, SETTLE_LIMIT_MS);
    console.log(`health check: 7.7.7.13 back on ds1 and ds2 ${secs(back)} after restarting its httpd`);
    const run = await clientRequests(lab, { vip: VIP });
    console.log(describeTally("rs3 back", run));
    expect(run.answered).toBe(run.sent);
    expect([...run.byServer.keys()].sort()).toEqual(["ds1", "ds2", "rs3"]);
  }, 3_600_000);

  it("connection_sync turned on, ds2 through firewalld: sync daemons follow VRRP, 8848/udp open", async () => {
    const apply = await runApply(inventoryWithConnectionSync(lab.up.inventoryFile));
    console.log(`lvsplay apply turning connection_sync on: ${secs(apply.ms)}, exit ${apply.code}`);
    expect(apply.code, apply.stderr.slice(-3000)).toBe(0);
    expect(totalOf(apply, "failed")).toBe(0);
    for (const d of DIRECTORS) {
      const { daemon, text } = await syncDaemonOf(lab, d);
      console.log(
        `${d}: sync daemon ${daemon}, backup_only ${await sysctlOf(lab, d, "net.ipv4.vs.backup_only")}`,
      );
      expect(daemon, text).toBe(d === "ds1" ? "master" : "backup");
    }
    for (const host of FIREWALLD) {
      const open = await firewalldOpen(lab, host, false);
      expect(open.ports, open.text).toContain("8848/udp");
      expect((await firewalldOpen(lab, host, true)).ports).toContain("8848/udp");
    }
    syncOn = true;
  }, 3_600_000);

  it("under load with connection_sync, failover and failback of the MASTER: no double crossing, failures bounded", async () => {
    expect(syncOn, "connection_sync was turned on first").toBe(true);
    const row = await failoverUnderLoad(lab, {
      vip: VIP,
      port: 80,
      directors: DIRECTORS,
      directorMacs,
      realServers: REAL_SERVERS,
      label: "2 directors (ds2 firewalld), connection_sync",
    });
    console.log(`measured (the README's data-plane table):\n${row}`);
  }, 3_600_000);
});
