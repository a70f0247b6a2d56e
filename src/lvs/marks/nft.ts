// Native nftables hosts: lvsplay owns `table inet lvsplay`, holding the set of
// peer-director MACs and a prerouting chain at mangle priority with one rule
// per service. Written in nft's own syntax, in the form `nft list` prints it
// back (measured with nft 1.0.6), and replaced in one `nft -f` transaction:
//
//   table inet lvsplay            ← creates it when missing …
//   delete table inet lvsplay     ← … so this never fails
//   table inet lvsplay { … }      ← the whole new table
//
// A NIC swap changes only the set (`flush set` + `add element`, one
// transaction): the rules stay byte-identical. The same text is the persisted
// file, included from nftables.conf after its `flush ruleset`.
import { assertCharset, IPV4, MAC, NAME } from "../../config/charsets.js";
import { hexMark } from "./chain.js";
import { type MarkRuleSpec, sameMembers } from "./spec.js";

export const NFT_FAMILY = "inet";
export const NFT_TABLE = "lvsplay";
export const NFT_SET = "peer_macs";
export const NFT_CHAIN = "prerouting";
/** nft's `mangle` priority keyword: where iptables' mangle PREROUTING runs, before IPVS. */
export const NFT_MANGLE_PRIORITY = -150;
const FULL = `${NFT_FAMILY} ${NFT_TABLE}`;

const portExpr = (ports: readonly number[]): string =>
  ports.length === 1 ? String(ports[0]) : `{ ${ports.join(", ")} }`;

/** One rule line of our chain (no indentation). Service names are [A-Za-z0-9._-]: safe in nft's quotes. */
export const nftRuleLine = (spec: MarkRuleSpec): string =>
  `ip daddr ${assertCharset(IPV4, spec.vip, `VIP of service ${spec.service}`)} ${spec.protocol} dport ${portExpr(spec.ports)} ` +
  `ether saddr != @${NFT_SET} meta mark set ${hexMark(spec.mark)} comment "lvsplay:${assertCharset(NAME, spec.service, "service name")}"`;

const macList = (peers: readonly string[]): string =>
  peers.map((m) => assertCharset(MAC, m, "peer MAC")).join(", ");

/** `table inet lvsplay { … }`. An empty set has no elements line (nft rejects `{ }`). */
export function renderNftTable(specs: readonly MarkRuleSpec[], peers: readonly string[]): string {
  const lines = [`table ${FULL} {`, `\tset ${NFT_SET} {`, "\t\ttype ether_addr"];
  if (peers.length > 0) lines.push(`\t\telements = { ${macList(peers)} }`);
  lines.push("\t}", "", `\tchain ${NFT_CHAIN} {`);
  lines.push(`\t\ttype filter hook prerouting priority mangle; policy accept;`);
  for (const spec of specs) lines.push(`\t\t${nftRuleLine(spec)}`);
  lines.push("\t}", "}");
  return `${lines.join("\n")}\n`;
}

/** `nft -f` input replacing our table atomically; also the persisted file's content. */
export function renderNftReplace(specs: readonly MarkRuleSpec[], peers: readonly string[]): string {
  return [
    "# Managed by lvsplay: peer-excluding fwmark rules for LVS. Do not edit: `lvsplay apply` rewrites it.",
    `table ${FULL}`,
    `delete table ${FULL}`,
    renderNftTable(specs, peers),
  ].join("\n");
}

/** `nft -f` input that only replaces the set's members (one transaction). */
export function renderNftSetUpdate(peers: readonly string[]): string {
  const lines = [`flush set ${FULL} ${NFT_SET}`];
  if (peers.length > 0) lines.push(`add element ${FULL} ${NFT_SET} { ${macList(peers)} }`);
  return `${lines.join("\n")}\n`;
}

/** `nft -f` input removing our table (null when it is not there). */
export const renderNftRemoval = (present: boolean): string | null =>
  present ? `delete table ${FULL}\n` : null;

/** One of our rules as read back from `nft -j`; null when its shape is not one lvsplay writes. */
export type NftMarkRule = MarkRuleSpec | null;

export interface NftOurTable {
  readonly set: { readonly type: string; readonly elements: readonly string[] } | null;
  readonly chain: {
    readonly type: string;
    readonly hook: string;
    readonly prio: number;
    readonly policy: string;
  } | null;
  readonly rules: readonly NftMarkRule[];
  /** Other sets or chains in our table (someone else's additions). */
  readonly others: readonly string[];
}

/** Does our live table hold exactly the desired chain and rules (set members aside)? */
export function nftRulesMatch(ours: NftOurTable | null, specs: readonly MarkRuleSpec[]): boolean {
  if (ours === null || ours.set?.type !== "ether_addr" || ours.others.length > 0) return false;
  const c = ours.chain;
  if (c?.type !== "filter" || c.hook !== "prerouting" || c.prio !== NFT_MANGLE_PRIORITY) return false;
  if (c.policy !== "accept" || ours.rules.length !== specs.length) return false;
  return specs.every((s, i) => {
    const r = ours.rules[i];
    return r !== null && r !== undefined && nftRuleLine(r) === nftRuleLine(s);
  });
}

export const nftSetMatches = (ours: NftOurTable | null, peers: readonly string[]): boolean =>
  ours?.set != null && sameMembers(ours.set.elements, peers);
