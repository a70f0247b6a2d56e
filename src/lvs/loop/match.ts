// Does a packet match a mark rule, and which mark does a director's PREROUTING
// give it? Only the conditions our rules (and the seed's) use are modelled;
// anything else is assumed to match (marking more is the pessimistic choice for
// loop-freedom) and reported as a note.
import type { Protocol } from "../../inventory/model.js";
import { normaliseMac } from "../directors.js";
import type { MarkRuleInfo } from "../marks/rule-info.js";

export interface Packet {
  readonly vip: string;
  readonly protocol: Protocol;
  readonly port: number;
  /** Source MAC on arrival ("client" side MACs belong to no director). */
  readonly srcMac: string;
}

const ipToInt = (ip: string): number => ip.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);

/** `7.7.7.100` inside `7.7.7.0/24` (or `7.7.7.100/32`, or a bare address). */
export function inCidr(ip: string, cidr: string): boolean {
  const [net = "", lenText = "32"] = cidr.split("/");
  const len = Number(lenText);
  const size = 2 ** (32 - len);
  return Math.floor(ipToInt(ip) / size) === Math.floor(ipToInt(net) / size);
}

export function ruleMatches(
  rule: MarkRuleInfo,
  pkt: Packet,
  ipsets: Readonly<Record<string, readonly string[]>>,
  notes: Set<string>,
): boolean {
  if (
    rule.destination !== undefined &&
    inCidr(pkt.vip, rule.destination) === (rule.destinationNegated ?? false)
  ) {
    return false;
  }
  if (rule.protocol !== undefined && rule.protocol !== pkt.protocol) return false;
  if (rule.ports !== undefined && !rule.ports.some(([lo, hi]) => pkt.port >= lo && pkt.port <= hi))
    return false;
  const src = normaliseMac(pkt.srcMac);
  for (const m of rule.macs) if ((m.mac === src) === m.negated) return false;
  for (const s of rule.sets) {
    if (s.flags.split(",")[0] !== "src") {
      notes.add(`set match "${s.name} ${s.flags}" not modelled; assumed to match`);
      continue;
    }
    const members = ipsets[s.name];
    if (members === undefined) notes.add(`ipset ${s.name} unknown; treated as empty`);
    const isMember = (members ?? []).some((m) => normaliseMac(m) === src);
    if (isMember === s.negated) return false;
  }
  if (rule.unknown.length > 0)
    notes.add(`options not modelled (assumed to match): ${rule.unknown.join(" ")}`);
  return true;
}

/** Mark after PREROUTING: MARK is non-terminating, so the last matching MARK rule wins; RETURN/ACCEPT stop. */
export function markFor(
  rules: readonly MarkRuleInfo[],
  pkt: Packet,
  ipsets: Readonly<Record<string, readonly string[]>>,
  notes: Set<string>,
): number {
  let mark = 0;
  for (const rule of rules) {
    if (!ruleMatches(rule, pkt, ipsets, notes)) continue;
    if (rule.mark !== undefined) mark = rule.mark;
    else if (rule.target === "RETURN" || rule.target === "ACCEPT" || rule.target === "DROP") break;
  }
  return mark;
}
