// Why a director's mark rules must change, told the way an operator thinks
// about it: is the rule gone (loop possible), does it exclude a MAC no peer has
// any more (NIC replaced: loop possible), or does it just differ (VIP, port,
// mark). Pure: rules in, DriftNote out.
import type { DriftNote } from "../../engine/drift.js";
import type { DirectorFacts } from "../directors.js";

const MAC_SOURCE = /--mac-source\s+([0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5})/g;

/** MACs a set of rules excludes, lower-case, in order of appearance. */
export function excludedMacs(rules: readonly string[]): string[] {
  const macs: string[] = [];
  for (const rule of rules)
    for (const m of rule.matchAll(MAC_SOURCE)) {
      const mac = m[1]!.toLowerCase();
      if (!macs.includes(mac)) macs.push(mac);
    }
  return macs;
}

const withMembers = (text: string, members: readonly string[] | undefined): string =>
  members === undefined ? text : `${text}\npeer set: ${members.length > 0 ? members.join(", ") : "(empty)"}`;

export interface MarkDriftInput {
  readonly host: string;
  /** Rules as they run now (chain rules or firewalld direct rules of our chain). */
  readonly current: readonly string[];
  readonly desired: readonly string[];
  /** False when the rules exist but PREROUTING does not jump to them (exactly once). */
  readonly hooked: boolean;
  readonly directors: readonly DirectorFacts[];
  /** Members of the peer set the rules exclude through (nftables, firewalld ipset), live and desired. */
  readonly currentMembers?: readonly string[];
  readonly desiredMembers?: readonly string[];
}

/** The kinds of mark-rule drift (also the causes of the changes that repair them). */
export type MarkDriftNote = DriftNote & {
  readonly kind: "mark-rule-missing" | "mark-rule-stale-mac" | "mark-rule-differs";
};

export function describeMarkDrift(input: MarkDriftInput): MarkDriftNote {
  const { host, current, desired, hooked, directors } = input;
  const expected = desired.join("\n");
  const actual = current.length > 0 ? current.join("\n") : null;
  const loop = "ping-pong loop between the directors possible until `lvsplay apply`";
  if (current.length === 0 || !hooked) {
    const what =
      current.length === 0 ? "no peer-excluding mark rule" : "mark rules not hooked into mangle PREROUTING";
    return {
      kind: "mark-rule-missing",
      severity: "critical",
      summary: `${host}: ${what} — ${loop}`,
      expected,
      actual,
    };
  }
  const now = [
    ...new Set([...excludedMacs(current), ...(input.currentMembers ?? []).map((m) => m.toLowerCase())]),
  ];
  const wanted = [
    ...new Set([...excludedMacs(desired), ...(input.desiredMembers ?? []).map((m) => m.toLowerCase())]),
  ];
  const stale = now.filter((m) => !wanted.includes(m));
  if (stale.length > 0) {
    const fresh = wanted.filter((m) => !now.includes(m));
    const owners = fresh.map((mac) => {
      const peer = directors.find((d) => d.mac.toLowerCase() === mac);
      return peer
        ? `${peer.name}'s data interface ${peer.interface} now has ${mac}`
        : `a peer now has ${mac}`;
    });
    const since = owners.length > 0 ? `, but ${owners.join(" and ")}` : ", which no peer director has";
    const what = input.currentMembers === undefined ? "mark rule excludes" : "peer set holds";
    return {
      kind: "mark-rule-stale-mac",
      severity: "critical",
      summary: `${host}: ${what} ${stale.join(", ")}${since} — ${loop}`,
      expected: withMembers(expected, input.desiredMembers),
      actual: actual === null ? null : withMembers(actual, input.currentMembers),
    };
  }
  return {
    kind: "mark-rule-differs",
    severity: "high",
    summary: `${host}: mark rules differ from the inventory (VIP, port or mark) — the service's packets may not reach IPVS`,
    expected: withMembers(expected, input.desiredMembers),
    actual: withMembers(actual ?? "", input.currentMembers),
  };
}
