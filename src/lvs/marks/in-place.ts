// Whether a director's mark rules can be replaced while it holds a VIP. A
// back-end that replaces them in one transaction (iptables-restore, nft -f)
// leaves no moment with a packet unmarked; what can still break traffic is a
// rule that now sends a VIP to another mark: keepalived's fwmark service for
// the new mark only comes with the keepalived stage, later. So the rules may
// change in place when they map the same VIPs to the same marks (ports,
// protocols and peer MACs may differ). Pure: rule lines in, answer out.

// `-d 7.7.7.100/32 … --set-xmark 0x1/0xffffffff`: iptables-save lines, also how nft rules are described.
// A negated `! -d` names no VIP, and only a MARK target sets the packet's mark (CONNMARK does not).
const VIP = /(?:^|\s)(?<!!\s)-d\s+(\d{1,3}(?:\.\d{1,3}){3})(?:\/32)?(?:\s|$)/;
const MARK = /\s-j MARK --set-x?mark\s+(0x[0-9a-fA-F]+|\d+)(?:\/0xffffffff)?(?:\s|$)/;

/** "VIP→mark" of every rule, sorted and unique; null when a rule does not say both. */
export function vipMarkPairs(rules: readonly string[]): string[] | null {
  const pairs = new Set<string>();
  for (const rule of rules) {
    const vip = VIP.exec(rule)?.[1];
    const mark = MARK.exec(rule)?.[1];
    if (vip === undefined || mark === undefined) return null;
    pairs.add(`${vip}→${Number(mark)}`);
  }
  return [...pairs].sort();
}

/** Same VIPs to the same marks (and rules on both sides): a one-transaction replace interrupts no traffic. */
export function sameVipsAndMarks(current: readonly string[], desired: readonly string[]): boolean {
  if (current.length === 0 || desired.length === 0) return false;
  const now = vipMarkPairs(current);
  const wanted = vipMarkPairs(desired);
  return now !== null && wanted !== null && now.join(",") === wanted.join(",");
}

export const IN_PLACE_MARKS =
  "replaced in one transaction, with the same VIPs and marks: no packet goes unmarked";
