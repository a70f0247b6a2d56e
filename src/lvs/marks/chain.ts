// The mark rules lvsplay owns: a dedicated mangle chain LVSPLAY-MARK, jumped to
// from PREROUTING, holding one rule per service.
//
// Rules are written in exactly the form `iptables-save` prints them back
// (measured with iptables 1.8.9, both the nf_tables and the legacy backend):
//   -d 7.7.7.100  → -d 7.7.7.100/32
//   --set-mark 3  → --set-xmark 0x3/0xffffffff
//   MAC addresses → lower case (1.8.x; iptables 1.4/1.6 print upper case, so
//                   parseMangle lower-cases live MACs before comparing)
//   comments      → always double-quoted
//   matches       → in the order given on the command line
// so desired and live rules compare as plain strings.
import { assertCharset, IPV4, MAC, NAME } from "../../config/charsets.js";
import type { Service } from "../../inventory/model.js";
import { type DirectorFacts, normaliseMac } from "../directors.js";
import type { MarkRuleSpec } from "./spec.js";
import { iptablesQuote } from "./tokens.js";

export const MARK_CHAIN = "LVSPLAY-MARK";
export const COMMENT_PREFIX = "lvsplay:";
/** The jump rule as iptables-save prints it. */
export const JUMP_RULE = `-A PREROUTING -j ${MARK_CHAIN}`;
/** iptables' multiport match accepts at most 15 ports. */
export const MULTIPORT_MAX = 15;

export interface MarkRuleOptions {
  /**
   * Exclude peers through an ipset (`-m set ! --match-set NAME src`) instead of
   * one `-m mac ! --mac-source` per peer. The set must hold the peers' MACs
   * (type hash:mac): in DR mode a forwarded packet keeps the client's source IP,
   * so only the source MAC tells a peer's forward from a client packet.
   */
  readonly peerSetName?: string;
}

export const hexMark = (mark: number): string => `0x${mark.toString(16)}`;

/** The port part of a rule: `-p tcp -m tcp --dport 80` or `-p tcp -m multiport --dports 80,443`. */
export function portMatch(
  svc: Pick<Service, "name" | "protocol" | "ports">,
  opts: { readonly describeOnly?: boolean } = {},
): string {
  const { protocol, ports } = svc;
  if (ports.length === 0) throw new Error(`service ${svc.name} has no ports`);
  // describeOnly: the line only describes another firewall's rule (nftables, rich rules), which has no such limit.
  if (ports.length > MULTIPORT_MAX && opts.describeOnly !== true) {
    throw new Error(
      `service ${svc.name}: ${ports.length} ports, iptables multiport takes at most ${MULTIPORT_MAX}`,
    );
  }
  if (ports.length === 1) return `-p ${protocol} -m ${protocol} --dport ${ports[0]}`;
  return `-p ${protocol} -m multiport --dports ${ports.join(",")}`;
}

/** The peer exclusion part of a rule (empty for a lone director). */
export function peerExclusion(peers: readonly DirectorFacts[], opts: MarkRuleOptions): string {
  if (opts.peerSetName !== undefined) return `-m set ! --match-set ${opts.peerSetName} src`;
  // Discovered MACs were checked by lvs.discover; checked again as they become rule text.
  return peers
    .map((p) => `-m mac ! --mac-source ${normaliseMac(assertCharset(MAC, p.mac, `MAC of ${p.name}`))}`)
    .join(" ");
}

/**
 * A mark rule of another firewall (nftables, firewalld rich rules) as the
 * iptables line that means the same, peers excluded through `setName`: the one
 * form the loop analysis and the drift notes read.
 */
export function describedSetRule(spec: MarkRuleSpec, setName: string): string {
  const svc = { name: spec.service, protocol: spec.protocol, ports: spec.ports };
  return [
    `-A ${MARK_CHAIN}`,
    `-d ${spec.vip}/32`,
    portMatch(svc, { describeOnly: true }),
    `-m set ! --match-set ${setName} src`,
    `-m comment --comment ${iptablesQuote(COMMENT_PREFIX + spec.service)}`,
    `-j MARK --set-xmark ${hexMark(spec.mark)}/0xffffffff`,
  ].join(" ");
}

/**
 * One `-A LVSPLAY-MARK …` line per service, in service order. Peers are sorted by
 * name (and the director itself dropped) so the output does not depend on the
 * order facts arrived in.
 */
export function desiredMarkRules(
  director: DirectorFacts,
  peers: readonly DirectorFacts[],
  services: readonly Service[],
  marks: Readonly<Record<string, number>>,
  opts: MarkRuleOptions = {},
): string[] {
  const others = peers.filter((p) => p.name !== director.name).sort((a, b) => a.name.localeCompare(b.name));
  return services.map((svc) => {
    const mark = marks[svc.name];
    if (mark === undefined) throw new Error(`no fwmark for service ${svc.name} on ${director.name}`);
    const parts = [
      `-A ${MARK_CHAIN}`,
      `-d ${assertCharset(IPV4, svc.vip, `VIP of service ${svc.name}`)}/32`,
      portMatch(svc),
      peerExclusion(others, opts),
      // NAME keeps the comment far below the 255 bytes iptables stores: the
      // live rule must read back exactly as rendered, or every run re-applies.
      `-m comment --comment ${iptablesQuote(COMMENT_PREFIX + assertCharset(NAME, svc.name, "service name"))}`,
      `-j MARK --set-xmark ${hexMark(mark)}/0xffffffff`,
    ];
    return parts.filter((p) => p !== "").join(" ");
  });
}

/**
 * `iptables-restore --noflush` input that, in one COMMIT (all or nothing):
 *  - declares LVSPLAY-MARK, which creates it when missing and flushes it when
 *    present (with --noflush only declared chains are flushed; measured on both
 *    backends), then appends our rules;
 *  - brings the PREROUTING jump count to exactly one, using the live count from
 *    parseMangle: 0 → insert it first in PREROUTING; n > 1 → n-1 `-D` lines.
 * If the live state changed since it was read, a `-D` fails and iptables-restore
 * rejects the whole transaction (nothing applied); re-read and retry. A jump
 * added concurrently between read and apply becomes a duplicate that the next
 * run removes (harmless: marking twice sets the same mark).
 */
export function renderRestore(rules: readonly string[], live: { readonly jumpCount: number }): string {
  const lines = ["*mangle", `:${MARK_CHAIN} - [0:0]`, ...rules];
  if (live.jumpCount === 0) lines.push(`-I PREROUTING 1 -j ${MARK_CHAIN}`);
  for (let i = 1; i < live.jumpCount; i++) lines.push(`-D PREROUTING -j ${MARK_CHAIN}`);
  lines.push("COMMIT");
  return `${lines.join("\n")}\n`;
}

/** `iptables-restore --noflush` input that removes our jump(s) and chain; null when nothing is there. */
export function renderRemoval(live: {
  readonly chainExists: boolean;
  readonly jumpCount: number;
}): string | null {
  if (!live.chainExists && live.jumpCount === 0) return null;
  const lines = ["*mangle"];
  for (let i = 0; i < live.jumpCount; i++) lines.push(`-D PREROUTING -j ${MARK_CHAIN}`);
  if (live.chainExists) lines.push(`-F ${MARK_CHAIN}`, `-X ${MARK_CHAIN}`);
  lines.push("COMMIT");
  return `${lines.join("\n")}\n`;
}
