// Reads a lab host's real state directly (nsenter through labExec), never
// through lvsplay: what the kernel, the files and the daemons say.
import type { E2eLab } from "./e2e-lab.js";

export const CHAIN = "LVSPLAY-MARK";
export const RULES_V4 = "/etc/iptables/rules.v4";
export const KEEPALIVED_CONF = "/etc/keepalived/keepalived.conf";
/** lvsplay's own keepalived file, included once from KEEPALIVED_CONF. */
export const LVSPLAY_CONF = "/etc/keepalived/lvsplay.conf";
export const SYSCTL_FILE = "/etc/sysctl.d/90-lvsplay-dr.conf";
export const DR_SYSCTLS: Readonly<Record<string, string>> = {
  "net.ipv4.conf.all.arp_ignore": "1",
  "net.ipv4.conf.all.arp_announce": "2",
  "net.ipv4.conf.lo.arp_ignore": "1",
  "net.ipv4.conf.lo.arp_announce": "2",
};
const JUMP = `-A PREROUTING -j ${CHAIN}`;

/** Our lines in iptables-save format: the rules of our chain and the PREROUTING jumps to it. */
export interface ChainLines {
  readonly rules: string[];
  readonly jumps: number;
}

export function chainLinesOf(saveText: string): ChainLines {
  const lines = saveText.split("\n").map((l) => l.trim());
  return {
    rules: lines.filter((l) => l.startsWith(`-A ${CHAIN} `)),
    jumps: lines.filter((l) => l === JUMP).length,
  };
}

export async function liveChain(lab: E2eLab, node: string): Promise<ChainLines> {
  return chainLinesOf(await lab.read(node, ["iptables-save", "-t", "mangle"]));
}

export async function savedChain(lab: E2eLab, node: string): Promise<ChainLines> {
  return chainLinesOf(await lab.read(node, ["cat", RULES_V4]));
}

/** The MAC of a host's interface, from `ip -j link`. */
export async function linkMac(lab: E2eLab, node: string, ifname: string): Promise<string> {
  const links = JSON.parse(await lab.read(node, ["ip", "-j", "link", "show", "dev", ifname])) as {
    address: string;
  }[];
  const mac = links[0]?.address;
  if (!mac) throw new Error(`${node}: no MAC on ${ifname}`);
  return mac.toLowerCase();
}

/** IPv4 addresses (CIDR) on one interface, from `ip -j addr`. */
export async function ipv4On(lab: E2eLab, node: string, ifname: string): Promise<string[]> {
  const out = await lab.read(node, ["ip", "-j", "-4", "addr", "show", "dev", ifname]);
  const links = JSON.parse(out) as { addr_info?: { local: string; prefixlen: number }[] }[];
  return links.flatMap((l) => (l.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`));
}

/** Directors holding the VIP on their data-plane interface (what VRRP put there). */
export async function vipHolders(lab: E2eLab): Promise<string[]> {
  const { directors, interfaces, vip } = lab.facts;
  const held = await Promise.all(
    directors.map(async (d) => {
      const addrs = await ipv4On(lab, d, interfaces[d] ?? "eth1");
      return addrs.includes(`${vip}/32`) ? [d] : [];
    }),
  );
  return held.flat();
}

export async function sysctlValues(lab: E2eLab, node: string): Promise<Record<string, string>> {
  const out = await lab.read(node, ["sysctl", ...Object.keys(DR_SYSCTLS)]);
  return Object.fromEntries(
    out
      .trim()
      .split("\n")
      .map((l) => l.split(" = ").map((s) => s.trim()) as [string, string]),
  );
}

/** `firewall-cmd [--permanent] --direct --get-all-rules`, one rule per line, sorted. */
export async function firewalldDirectRules(lab: E2eLab, node: string, permanent: boolean): Promise<string[]> {
  const argv = ["firewall-cmd", ...(permanent ? ["--permanent"] : []), "--direct", "--get-all-rules"];
  return (await lab.read(node, argv))
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .sort();
}

export async function processRunning(lab: E2eLab, node: string, name: string): Promise<boolean> {
  return (await lab.exec(node, ["pgrep", "-x", name])).code === 0;
}

/** PIDs of every keepalived process on a node (the parent and its VRRP/checker children). */
export async function keepalivedPids(lab: E2eLab, node: string): Promise<number[]> {
  const r = await lab.exec(node, ["pgrep", "-x", "keepalived"]);
  if (r.code === 1) return []; // pgrep: nothing matched
  if (r.code !== 0) throw new Error(`${node}: pgrep exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout.split("\n").filter(Boolean).map(Number);
}

/**
 * `service keepalived stop` as an operator types it, then waits until every
 * keepalived process that ran is gone; returns how long that wait took.
 * Debian's init script only signals (start-stop-daemon --stop, no --retry)
 * and returns at once. keepalived gives its VIPs up at once (priority-0
 * advert: the peer is MASTER within a second) but exits about a second later;
 * a `service keepalived start` in between finds the old daemon through its
 * pid file, starts nothing and still exits 0 ("keepalived failed!"), and then
 * the old daemon exits: nothing runs.
 */
export async function stopKeepalived(lab: E2eLab, node: string, timeoutMs = 60_000): Promise<number> {
  const running = await keepalivedPids(lab, node);
  if (running.length === 0) throw new Error(`${node}: keepalived is not running: nothing to stop`);
  await lab.read(node, ["service", "keepalived", "stop"]);
  return waitFor(
    `keepalived on ${node} (pids ${running.join(", ")}) to exit after service keepalived stop`,
    async () => {
      const now = await keepalivedPids(lab, node);
      return !running.some((p) => now.includes(p));
    },
    timeoutMs,
  );
}

/**
 * `service keepalived start` on a node where no keepalived runs (see
 * stopKeepalived), then waits until one does; returns how long that took.
 * The init script's exit status says nothing (it exits 0 when it started
 * nothing), so the processes are what is checked.
 */
export async function startKeepalived(lab: E2eLab, node: string, timeoutMs = 60_000): Promise<number> {
  const old = await keepalivedPids(lab, node);
  if (old.length > 0)
    throw new Error(
      `${node}: keepalived still runs (pids ${old.join(", ")}): service keepalived start would start nothing`,
    );
  await lab.read(node, ["service", "keepalived", "start"]);
  return waitFor(
    `keepalived to run on ${node} after service keepalived start`,
    async () => (await keepalivedPids(lab, node)).length > 0,
    timeoutMs,
  );
}

/**
 * Polls `probe` until it returns true or `timeoutMs` passes; returns the time it
 * took, or throws naming what was awaited (bounded: a hung lab fails, not hangs).
 */
export async function waitFor(
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs = 15_000,
  intervalMs = 100,
): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await probe()) return Date.now() - started;
    if (Date.now() - started > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Waits until VRRP settled with `master` (and only it) holding the VIP. */
export function waitForMaster(lab: E2eLab, master: string, timeoutMs = 15_000): Promise<number> {
  return waitFor(
    `${master} alone to hold ${lab.facts.vip}`,
    async () => {
      const holders = await vipHolders(lab);
      return holders.length === 1 && holders[0] === master;
    },
    timeoutMs,
  );
}

export const PEER_SET = "lvs_mark_list";
export const NFT_OURS = "/etc/nftables.d/lvsplay.nft";

/** firewalld rich rules of the default zone (runtime or permanent), as firewall-cmd prints them. */
export async function richRules(lab: E2eLab, node: string, permanent: boolean): Promise<string[]> {
  const argv = ["firewall-cmd", ...(permanent ? ["--permanent"] : []), "--list-rich-rules"];
  return (await lab.read(node, argv))
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .sort();
}

/** Members of firewalld's ipset lvs_mark_list (runtime or permanent); null when it does not exist. */
export async function peerSetEntries(
  lab: E2eLab,
  node: string,
  permanent: boolean,
): Promise<string[] | null> {
  const p = permanent ? ["--permanent"] : [];
  const r = await lab.exec(node, ["firewall-cmd", ...p, `--ipset=${PEER_SET}`, "--get-entries"]);
  if (r.code !== 0) return null;
  return r.stdout.split(/\s+/).filter(Boolean).sort();
}

/** Our nftables chain's rule lines (`nft list chain`, handles shown: identical means untouched). */
export async function nftChain(lab: E2eLab, node: string): Promise<string[]> {
  const r = await lab.exec(node, ["nft", "-a", "list", "chain", "inet", "lvsplay", "prerouting"]);
  if (r.code !== 0) return [];
  return r.stdout
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.startsWith("ip daddr"));
}

/** Elements of set inet lvsplay peer_macs (from nft's JSON); null when the set does not exist. */
export async function nftPeerSet(lab: E2eLab, node: string): Promise<string[] | null> {
  const r = await lab.exec(node, ["nft", "-j", "list", "set", "inet", "lvsplay", "peer_macs"]);
  if (r.code !== 0) return null;
  const doc = JSON.parse(r.stdout) as { nftables: { set?: { elem?: string | string[] } }[] };
  const elem = doc.nftables.find((i) => i.set)?.set?.elem ?? [];
  return (Array.isArray(elem) ? elem : [elem]).map((m) => m.toLowerCase()).sort();
}
