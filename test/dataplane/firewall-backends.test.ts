// Issue 15 on a real IPVS kernel (Debian's kernel under QEMU, the namespace lab
// inside): one director per firewall back-end, in the loop test of
// loop-and-fix.test.ts. lb1 is a pure director (not a real server) running
// firewalld; ds1 runs native nftables, ds2 firewalld, both directors AND real
// servers. While lb1 holds the VIP, both back-ends run on BACKUP directors that
// lb1 forwards SYNs to: each must leave them unmarked or they loop. Then lb1's
// opened port is closed by hand (the control: a firewalld director whose port is
// closed drops every request), and the VIP fails over to the nftables director.
// One guest for the file; the tests run in order.
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EMULATED_TIMEOUT_SCALE } from "../../src/lab/vm/lab-inventory.js";
import { firewallCmdArgv } from "../../src/lvs/marks/firewall-cmd.js";
import { clientRequests, describeTally } from "./support/client-requests.js";
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
import { ipvsStats, STATS_SETTLE_MS } from "./support/ipvs-stats.js";
import {
  type ApplyRun,
  changedTasks,
  failures,
  runApply,
  taskTimes,
  totalOf,
  verifyChecks,
} from "./support/lvsplay-apply.js";
import { listAllField } from "./support/naive-layout.js";

const TOPOLOGY = fileURLToPath(new URL("./fixtures/lvs-firewalls.clab.yml", import.meta.url));
const VIP = "7.7.7.100";
const PURE = "lb1";
const NFT = "ds1";
const FIREWALLD = ["lb1", "ds2"] as const;
const DIRECTORS = ["lb1", "ds1", "ds2"] as const;
const BACKUPS = ["ds1", "ds2"] as const;
/** The ipset lvsplay keeps the peer MACs in on firewalld (named as in the original procedure). */
const IPSET = "lvs_mark_list";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const macList = (words: readonly string[]) => words.map((w) => w.toLowerCase()).sort();
const load = () => loadavg()[0]!.toFixed(1);
/** The firewall tasks whose apply times the notes record. */
const FIREWALL_OPS = ["lvs.marks", "lvs.persist", "lvs.firewalld_open"];
const FIREWALLD_VERSION = [
  "get-property",
  "org.fedoraproject.FirewallD1",
  "/org/fedoraproject/FirewallD1",
  "org.fedoraproject.FirewallD1",
  "version",
];

/** One apply, with everything a failure needs printed: exit, recap, failed tasks' errors, firewall task times. */
async function applyLogged(lab: GuestLab, what: string): Promise<ApplyRun> {
  const before = load();
  const run = await runApply(lab.up.inventoryFile);
  console.log(
    `${what}: ${secs(run.ms)}, exit ${run.code}, load ${before} → ${load()}, changed ${totalOf(run, "changed")}, ` +
      `recap ${JSON.stringify(run.recap)}`,
  );
  console.log(`${what}: firewall tasks: ${taskTimes(run, FIREWALL_OPS)}`);
  const failed = failures(run);
  if (failed !== "") console.log(`${what}: FAILED\n${failed}\nstderr tail:\n${run.stderr.slice(-3000)}`);
  return run;
}

async function holdsVip(lab: GuestLab, host: string): Promise<boolean> {
  const out = await inHostOk(lab, host, ["ip", "-4", "-o", "addr", "show", "dev", "eth1"]);
  return out.includes(`inet ${VIP}/32`);
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

/** The zone firewalld puts eth1's traffic in: its interface binding, else the default zone. */
async function dataZone(lab: GuestLab, host: string): Promise<string> {
  const bound = await inHost(lab, host, ["firewall-cmd", "--get-zone-of-interface=eth1"]);
  if (bound.code === 0 && bound.stdout.trim() !== "") return bound.stdout.trim();
  return (await inHostOk(lab, host, ["firewall-cmd", "--get-default-zone"])).trim();
}

const permanentFlag = (permanent: boolean) => (permanent ? ["--permanent"] : []);

/** Type and members of firewalld's ipset IPSET, runtime or permanent. */
async function firewalldIpset(lab: GuestLab, host: string, permanent: boolean) {
  const info = await inHostOk(lab, host, [
    "firewall-cmd",
    ...permanentFlag(permanent),
    `--info-ipset=${IPSET}`,
  ]);
  const field = (name: string) =>
    (new RegExp(`^\\s*${name}:(.*)$`, "m").exec(info)?.[1] ?? "").trim().split(/\s+/).filter(Boolean);
  return { type: field("type")[0], entries: macList(field("entries")), text: info };
}

async function richRules(lab: GuestLab, host: string, zone: string, permanent: boolean): Promise<string[]> {
  const out = await inHostOk(lab, host, [
    "firewall-cmd",
    ...permanentFlag(permanent),
    `--zone=${zone}`,
    "--list-rich-rules",
  ]);
  return out.split("\n").filter((l) => l.trim() !== "");
}

/** Members of the nftables director's set inet lvsplay peer_macs (read with nft -j). */
async function nftPeerMacs(lab: GuestLab, host: string): Promise<string[]> {
  const doc = JSON.parse(
    await inHostOk(lab, host, ["nft", "-j", "list", "set", "inet", "lvsplay", "peer_macs"]),
  ) as { nftables: { set?: { elem?: unknown[] } }[] };
  const elems = doc.nftables.find((o) => o.set)?.set?.elem ?? [];
  return macList(elems.filter((e): e is string => typeof e === "string"));
}

describe("one director per firewall back-end on a real IPVS kernel", () => {
  const dirs = newStateDir("lvsplay-dpfw-");
  const fileStarted = Date.now();
  let lab: GuestLab;
  let macs: Map<string, string>;
  const peersOf = (d: string) => macList(DIRECTORS.filter((p) => p !== d).map((p) => macs.get(p)!));

  beforeAll(async () => {
    lab = await startGuestLab(TOPOLOGY, dirs);
    macs = new Map(await Promise.all(DIRECTORS.map(async (d) => [d, await dataPlaneMac(lab, d)] as const)));
  }, GUEST_START_LIMIT_MS);

  afterAll(async () => {
    await stopGuestLab(dirs);
    console.log(`data-plane file (firewall back-ends): wall time ${secs(Date.now() - fileStarted)}`);
  }, 600_000);

  it("apply picks each host's native back-end: nftables set on ds1, firewalld ipset + rich rules on lb1 and ds2", async () => {
    // Not vacuous: nothing opened lb1's web port before lvsplay (the topology does not).
    const zone = await dataZone(lab, PURE);
    expect(
      listAllField(await inHostOk(lab, PURE, ["firewall-cmd", `--zone=${zone}`, "--list-all"]), "ports"),
    ).not.toContain("80/tcp");

    const apply = await applyLogged(lab, "lvsplay apply (first)");
    const checks = verifyChecks(apply);
    console.log(checks.map((c) => `  ${c.line}`).join("\n"));
    expect(failures(apply)).toBe("");
    expect(apply.code, apply.stderr.slice(-3000)).toBe(0);
    expect(totalOf(apply, "failed")).toBe(0);
    expect(totalOf(apply, "unreachable")).toBe(0);
    expect(checks.filter((c) => c.status !== "pass").map((c) => c.line)).toEqual([]);
    expect(checks.some((c) => c.line.startsWith("client: requests to web → pass"))).toBe(true);

    // Native nftables: the set holds both peers, the rule refers to it; no iptables chain of ours.
    expect(await nftPeerMacs(lab, NFT)).toEqual(peersOf(NFT));
    const chain = await inHostOk(lab, NFT, ["nft", "list", "chain", "inet", "lvsplay", "prerouting"]);
    expect(chain).toMatch(
      new RegExp(
        `ip daddr ${VIP.replaceAll(".", "\\.")} tcp dport 80 ether saddr != @peer_macs meta mark set 0x`,
      ),
    );
    expect(await inHostOk(lab, NFT, ["iptables-save", "-t", "mangle"])).not.toContain("LVSPLAY");

    for (const host of FIREWALLD) {
      const z = await dataZone(lab, host);
      for (const permanent of [false, true]) {
        const set = await firewalldIpset(lab, host, permanent);
        expect(set.type, set.text).toBe("hash:mac");
        expect(set.entries, `${host} ${permanent ? "permanent" : "runtime"} ipset`).toEqual(peersOf(host));
        const rules = await richRules(lab, host, z, permanent);
        expect(
          rules.filter((r) => r.includes(`source NOT ipset="${IPSET}"`) && r.includes(`address="${VIP}"`)),
          rules.join("\n"),
        ).toHaveLength(1);
        expect(rules.join("\n")).toMatch(/port port="?80"? protocol="?tcp"? mark set="?0x/);
        const open = listAllField(
          await inHostOk(lab, host, [
            "firewall-cmd",
            ...permanentFlag(permanent),
            `--zone=${z}`,
            "--list-all",
          ]),
          "ports",
        );
        expect(open, `${host} ${permanent ? "permanent" : "runtime"} ports`).toContain("80/tcp");
      }
      expect((await inHostOk(lab, host, ["firewall-cmd", "--direct", "--get-all-rules"])).trim()).toBe("");
    }
    // The pure director got its port opened by lvsplay (it serves nothing itself).
    expect(apply.results.find((r) => r.host === PURE && r.op === "lvs.firewalld_open")?.status).toBe(
      "changed",
    );

    // What works where, written down by the test: firewalld's back-end and where its ipset lives.
    for (const host of FIREWALLD) {
      // Which write path lvsplay took: busctl where busctl can read firewalld, else firewall-cmd.
      const bus = await inHost(lab, host, ["busctl", "--system", "--json=short", ...FIREWALLD_VERSION]);
      console.log(
        `${host}: firewalld readable with busctl: ${bus.code === 0 ? `yes ${bus.stdout.trim()}` : `no (${bus.stderr.trim()})`}`,
      );
      const conf = await inHostOk(lab, host, ["cat", "/etc/firewalld/firewalld.conf"]);
      const backend = /^FirewallBackend=(\S+)/m.exec(conf)?.[1] ?? "(default)";
      const nftSet = await inHost(lab, host, ["nft", "list", "set", "inet", "firewalld", IPSET]);
      const kernelSets = (await inHost(lab, host, ["ipset", "list", "-n"])).stdout.trim();
      // Which firewalld chain holds the mark rule (README names it).
      const table = (await inHost(lab, host, ["nft", "list", "table", "inet", "firewalld"])).stdout;
      const chainOfMark = table
        .split(/\n(?=\s*chain )/)
        .find((c) => c.includes(`@${IPSET}`) && c.includes("mark set"));
      console.log(
        `${host}: mark rule in ${/chain (\S+)/.exec(chainOfMark ?? "")?.[1] ?? "(not in inet firewalld)"}`,
      );
      console.log(
        `${host}: firewalld back-end ${backend}; ipset ${IPSET} as nft set in inet firewalld: ` +
          `${nftSet.code === 0 ? "yes" : "no"}; kernel ipsets: ${kernelSets || "(none)"}`,
      );
    }
    // The guest kernel itself has the hash:mac ipset type (the namespace lab's kernel does not).
    const probe = await inHost(lab, NFT, [
      "sh",
      "-c",
      "ipset create lvsplay-probe hash:mac && ipset destroy lvsplay-probe",
    ]);
    console.log(`guest kernel hash:mac ipset: ${probe.code === 0 ? "yes" : `no (${probe.stderr.trim()})`}`);
    expect(probe.code, probe.stderr).toBe(0);
  }, 3_600_000);

  it("a second apply changes nothing", async () => {
    const again = await applyLogged(lab, "lvsplay apply (second)");
    expect(failures(again)).toBe("");
    expect(again.code, again.stderr.slice(-3000)).toBe(0);
    expect(changedTasks(again)).toEqual([]);
  }, 3_600_000);

  it("the pure firewalld director serves every request; both back-ends leave its forwarded SYNs unmarked", async () => {
    await waitForVipOn(lab, PURE, SETTLE_LIMIT_MS);
    const run = await measureDataPath(lab, {
      vip: VIP,
      captureOn: [...BACKUPS],
      directorMacs: [...macs.values()],
    });
    await sleep(STATS_SETTLE_MS);
    console.log(describeDataPath(`${PURE} (pure director, firewalld) MASTER`, run));
    // The MASTER's FWM service counts the SYNs its own rich rule marked (the client's, unmarked before).
    console.log(`${PURE} (MASTER) ipvsadm -Ln --stats:\n${(await ipvsStats(lab, PURE)).text}`);
    expect(run.tally.answered).toBe(run.tally.sent);
    expect([...run.tally.byServer.keys()].sort()).toEqual(["ds1", "ds2", "rs3"]);
    for (const backup of BACKUPS) {
      const cap = run.captures.get(backup)!;
      // Not vacuous: lb1 did forward SYNs to this backup director, each exactly once.
      expect(cap.crossings.betweenDirectors, backup).toBeGreaterThan(0);
      expect(cap.crossings.max, `${backup}: ${cap.crossings.maxKey}`).toBeLessThanOrEqual(1);
      // Its FWM service exists (keepalived runs there) and never saw a packet: nothing was marked.
      const stats = await ipvsStats(lab, backup);
      const fwm = stats.services.find((s) => s.id.startsWith("FWM"));
      console.log(`${backup} (BACKUP) ipvsadm -Ln --stats:\n${stats.text}`);
      expect(fwm, stats.text).toBeDefined();
      expect(fwm?.inPkts, stats.text).toBe(0);
    }
  }, 3_600_000);

  it("control: with its port closed by hand the pure director answers nothing; firewalld --reload restores lvsplay's opening", async () => {
    const zone = await dataZone(lab, PURE);
    await inHostOk(lab, PURE, ["firewall-cmd", `--zone=${zone}`, "--remove-port=80/tcp"]);
    const closed = await clientRequests(lab, { vip: VIP, count: 5, timeoutSec: 3 });
    console.log(describeTally(`${PURE} port 80 closed (runtime)`, closed));
    expect(closed.answered).toBe(0);

    // Permanent holds what lvsplay wrote: a reload brings the port, ipset and rich rule back. Run as
    // lvsplay runs firewall-cmd on a host of the guest's timeout_scale (plain firewall-cmd waits only
    // 25 s for firewalld's reply; a reload here took 35-50 s): this also exercises that wrapper.
    const reloaded = Date.now();
    await inHostOk(lab, PURE, firewallCmdArgv(["firewall-cmd", "--reload"], EMULATED_TIMEOUT_SCALE));
    console.log(
      `${PURE}: firewall-cmd --reload (reply limit × ${EMULATED_TIMEOUT_SCALE}) ${secs(Date.now() - reloaded)}`,
    );
    expect(
      listAllField(await inHostOk(lab, PURE, ["firewall-cmd", `--zone=${zone}`, "--list-all"]), "ports"),
    ).toContain("80/tcp");
    expect((await firewalldIpset(lab, PURE, false)).entries).toEqual(peersOf(PURE));
    const open = await clientRequests(lab, { vip: VIP });
    console.log(describeTally(`${PURE} after reload`, open));
    expect(open.answered).toBe(open.sent);
  }, 3_600_000);

  it("failover to the nftables director: the firewalld backup leaves its SYNs unmarked; lb1 takes the VIP back", async () => {
    const stopped = Date.now();
    await inHostOk(lab, PURE, ["service", "keepalived", "stop"]);
    try {
      const moved = await waitForVipOn(lab, NFT, SETTLE_LIMIT_MS);
      console.log(`failover: VIP on ${NFT} ${secs(moved)} after stopping keepalived on ${PURE}`);
      const run = await measureDataPath(lab, {
        vip: VIP,
        captureOn: [...BACKUPS],
        directorMacs: [...macs.values()],
      });
      await sleep(STATS_SETTLE_MS);
      console.log(describeDataPath(`${NFT} (nftables) MASTER`, run));
      expect(run.tally.answered).toBe(run.tally.sent);
      expect([...run.tally.byServer.keys()].sort()).toEqual(["ds1", "ds2", "rs3"]);
      expect(run.captures.get("ds2")!.crossings.betweenDirectors).toBeGreaterThan(0);
      for (const [host, c] of run.captures)
        expect(c.crossings.max, `${host}: ${c.crossings.maxKey}`).toBeLessThanOrEqual(1);
      const stats = await ipvsStats(lab, "ds2");
      const fwm = stats.services.find((s) => s.id.startsWith("FWM"));
      expect(fwm, stats.text).toBeDefined();
      expect(fwm?.inPkts, stats.text).toBe(0);
    } finally {
      await inHost(lab, PURE, ["service", "keepalived", "start"]);
    }
    const back = await waitForVipOn(lab, PURE, SETTLE_LIMIT_MS);
    console.log(`failback: VIP on ${PURE} again ${secs(back)} (${secs(Date.now() - stopped)} total)`);
    await pollUntil(
      `${PURE}'s FWM service with its 3 real servers`,
      async () => {
        const { services } = await ipvsStats(lab, PURE);
        return services.some((s) => s.id.startsWith("FWM") && s.reals.size === 3) ? true : undefined;
      },
      { timeoutMs: SETTLE_LIMIT_MS },
    );
    const after = await clientRequests(lab, { vip: VIP });
    console.log(describeTally("after failback", after));
    expect(after.answered).toBe(after.sent);
  }, 3_600_000);
});
