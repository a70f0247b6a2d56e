// The converged state of issue 4, asserted host by host from what the hosts
// themselves say (iptables-save, files, ip, sysctl, firewall-cmd, pgrep).
import { expect } from "vitest";
import type { E2eLab } from "./e2e-lab.js";
import {
  DR_SYSCTLS,
  firewalldDirectRules,
  ipv4On,
  KEEPALIVED_CONF,
  LVSPLAY_CONF,
  linkMac,
  liveChain,
  NFT_OURS,
  nftChain,
  nftPeerSet,
  PEER_SET,
  peerSetEntries,
  processRunning,
  richRules,
  savedChain,
  sysctlValues,
} from "./host-state.js";

const regexEscape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Asserts a director's mark chain holds exactly one rule for the VIP that
 * excludes the peer's real MAC, jumped to once from PREROUTING; returns the mark.
 */
export async function expectMarkRule(lab: E2eLab, director: string): Promise<number> {
  const { directors, interfaces, vip, port } = lab.facts;
  const peers = directors.filter((d) => d !== director);
  expect(peers, "this lab has exactly two directors").toHaveLength(1);
  const peer = peers[0] as string;
  const peerMac = await linkMac(lab, peer, interfaces[peer] ?? "eth1");
  const firewall = lab.facts.firewalls[director];
  if (firewall === "firewalld") {
    const rules = await richRules(lab, director, false);
    expect(rules, `${director}: rich rules`).toHaveLength(1);
    const m = new RegExp(
      `^rule family="ipv4" source NOT ipset="${PEER_SET}" destination address="${regexEscape(vip)}" port port="${port}" protocol="tcp" mark set=(0x[0-9a-f]+)$`,
    ).exec(rules[0] ?? "");
    expect(m, `${director}: ${rules[0]}`).not.toBeNull();
    expect(await peerSetEntries(lab, director, false), `${director}: ipset ${PEER_SET}`).toEqual([peerMac]);
    expect((await liveChain(lab, director)).rules, `${director}: no iptables chain`).toEqual([]);
    expect(await firewalldDirectRules(lab, director, false), `${director}: no direct rules`).toEqual([]);
    return Number.parseInt(m?.[1] ?? "0", 16);
  }
  if (firewall === "nftables") {
    const rules = await nftChain(lab, director);
    expect(rules, `${director}: table inet lvsplay`).toHaveLength(1);
    const m = new RegExp(
      `^ip daddr ${regexEscape(vip)} tcp dport ${port} ether saddr != @peer_macs meta mark set (0x[0-9a-f]+) comment "lvsplay:\\S+" # handle \\d+$`,
    ).exec(rules[0] ?? "");
    expect(m, `${director}: ${rules[0]}`).not.toBeNull();
    expect(await nftPeerSet(lab, director), `${director}: set peer_macs`).toEqual([peerMac]);
    expect((await liveChain(lab, director)).rules, `${director}: no iptables chain`).toEqual([]);
    return Number.parseInt(m?.[1] ?? "0", 16);
  }
  const live = await liveChain(lab, director);
  expect(live.jumps, `${director}: PREROUTING jumps to the chain`).toBe(1);
  expect(live.rules, `${director}: rules of the chain`).toHaveLength(1);
  const rule = new RegExp(
    `^-A LVSPLAY-MARK -d ${regexEscape(vip)}/32 -p tcp -m tcp --dport ${port} -m mac ! --mac-source ${regexEscape(peerMac)}( -m comment --comment \\S+)? -j MARK --set-xmark (0x[0-9a-f]+)/0xffffffff$`,
    "i",
  );
  const match = rule.exec(live.rules[0] ?? "");
  expect(match, `${director}: ${live.rules[0]} should exclude ${peer}'s MAC ${peerMac}`).not.toBeNull();
  const mark = Number.parseInt(match?.[2] ?? "0", 16);
  expect(mark).toBeGreaterThan(0);
  return mark;
}

/**
 * keepalived.conf includes lvsplay's file exactly once, and lvsplay's file names
 * the rule's mark (`virtual_server fwmark N`). In the lab's VRRP-only mode (no
 * IPVS in this kernel) lvsplay may render no virtual_server: then the file must say so.
 */
export async function expectKeepalivedConf(lab: E2eLab, director: string, mark: number): Promise<void> {
  const main = await lab.read(director, ["cat", KEEPALIVED_CONF]);
  expect(
    main.split("\n").filter((l) => l.trim() === `include ${LVSPLAY_CONF}`),
    `${director}: ${KEEPALIVED_CONF} includes ${LVSPLAY_CONF} once`,
  ).toHaveLength(1);
  const conf = await lab.read(director, ["cat", LVSPLAY_CONF]);
  const { vip, interfaces } = lab.facts;
  expect(conf).toMatch(new RegExp(`^\\s*interface ${interfaces[director] ?? "eth1"}$`, "m"));
  expect(conf).toMatch(new RegExp(`^\\s*${regexEscape(vip)}/32\\b`, "m"));
  const fwmarks = [...conf.matchAll(/^\s*virtual_server fwmark (\d+)\s*\{/gm)].map((m) => Number(m[1]));
  // VRRP-only may still render the blocks (keepalived -P ignores them): then they must match too.
  if (lab.facts.vrrpOnly && fwmarks.length === 0) {
    console.log(
      `[e2e] ${director}: vrrp_only — keepalived.conf has no virtual_server to compare mark ${mark} with`,
    );
    expect(conf).toMatch(/VRRP ONLY/);
  } else {
    expect(fwmarks, `${director}: virtual_server fwmark = the rule's mark`).toEqual([mark]);
    expect(conf).not.toMatch(/^\s*virtual_server \d/m);
  }
}

/** What survives a reboot equals what runs: rules.v4 on iptables nodes, permanent direct rules on firewalld nodes. */
export async function expectPersistedEqualsRuntime(lab: E2eLab, director: string): Promise<void> {
  const firewall = lab.facts.firewalls[director];
  if (firewall === "firewalld") {
    const permanent = await richRules(lab, director, true);
    expect(
      permanent.some((r) => r.includes(PEER_SET)),
      `${director}: permanent rich rules`,
    ).toBe(true);
    expect(await richRules(lab, director, false), `${director}: runtime = permanent rich rules`).toEqual(
      permanent,
    );
    expect(await peerSetEntries(lab, director, true), `${director}: permanent = runtime ipset`).toEqual(
      await peerSetEntries(lab, director, false),
    );
    expect(await firewalldDirectRules(lab, director, true), `${director}: no permanent direct rules`).toEqual(
      [],
    );
  } else if (firewall === "nftables") {
    const conf = await lab.read(director, ["cat", "/etc/nftables.conf"]);
    const lines = conf.split("\n");
    const include = lines.indexOf(`include "${NFT_OURS}"`);
    expect(include, `${director}: /etc/nftables.conf includes ${NFT_OURS}`).toBeGreaterThan(
      lines.indexOf("flush ruleset"),
    );
    const saved = (await lab.read(director, ["cat", NFT_OURS])).split("\n").map((l) => l.trim());
    const live = (await nftChain(lab, director)).map((l) =>
      l.replace(/ # handle \d+$/, "").replace(/0x0*([0-9a-f])/, "0x$1"),
    );
    for (const rule of live) expect(saved, `${director}: ${NFT_OURS} holds the live rule`).toContain(rule);
    const members = (await nftPeerSet(lab, director)) ?? [];
    expect(saved.join("\n")).toContain(`elements = { ${members.join(", ")} }`);
  } else {
    const live = await liveChain(lab, director);
    const saved = await savedChain(lab, director);
    expect(saved, `${director}: rules.v4 = live chain`).toEqual(live);
  }
}

/** DR real server: VIP /32 on lo and the four ARP sysctls. */
export async function expectRealServer(lab: E2eLab, node: string): Promise<void> {
  expect(await ipv4On(lab, node, "lo"), `${node}: lo`).toContain(`${lab.facts.vip}/32`);
  expect(await sysctlValues(lab, node), `${node}: sysctls`).toEqual(DR_SYSCTLS);
}

export async function expectKeepalivedRunning(lab: E2eLab, director: string): Promise<void> {
  expect(await processRunning(lab, director, "keepalived"), `${director}: keepalived running`).toBe(true);
}
