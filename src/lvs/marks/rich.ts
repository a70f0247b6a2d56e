// firewalld hosts: the peers' MACs in the ipset lvs_mark_list (hash:mac) and
// one rich rule per service port in the zone of the data-plane interface:
//
//   rule family="ipv4" source NOT ipset="lvs_mark_list" destination address="VIP"
//        port port="80" protocol="tcp" mark set=0x1
//
// (firewalld.richlanguage(5); the text is the one firewalld stores and prints
// back, measured with firewalld 1.3.3's Rich_Rule). On the nftables back-end
// the rule lands in mangle_PRE_<zone>_allow as `ether saddr != @lvs_mark_list
// … meta mark set 0x1`, at prerouting priority -140: before IPVS.
// Rules are ours when they exclude our ipset and set a mark: nobody else's are touched.
import { assertCharset, IPV4, MAC, NAME } from "../../config/charsets.js";
import { hexMark } from "./chain.js";
import { FIREWALLD_PEER_SET, type MarkRuleSpec } from "./spec.js";

export const FIREWALLD_SET_TYPE = "hash:mac";

/** The rich rules of one spec: rich rules take one port (or range) each. */
export const richRulesOf = (spec: MarkRuleSpec): string[] =>
  spec.ports.map(
    (port) =>
      `rule family="ipv4" source NOT ipset="${FIREWALLD_PEER_SET}" destination address="${assertCharset(IPV4, spec.vip, `VIP of service ${spec.service}`)}" ` +
      `port port="${port}" protocol="${spec.protocol}" mark set=${hexMark(spec.mark)}`,
  );

export const desiredRichRules = (specs: readonly MarkRuleSpec[]): string[] => specs.flatMap(richRulesOf);

const OURS = new RegExp(
  `^rule family="ipv4" source NOT ipset="${FIREWALLD_PEER_SET}" destination address="([0-9.]+)(?:/32)?" ` +
    `port port="(\\d+)" protocol="(tcp|udp)" mark set="?(0x[0-9a-fA-F]+|\\d+)"?$`,
);

/** Is this rich rule one of lvsplay's (it excludes our ipset and sets a mark)? */
export const isOurRichRule = (rule: string): boolean =>
  rule.includes(`ipset="${FIREWALLD_PEER_SET}"`) && / mark set=/.test(rule);

/** One of our rich rules back into a one-port spec (service unknown: rich rules carry no name); null when foreign-shaped. */
export function parseRichRule(rule: string): Omit<MarkRuleSpec, "service"> | null {
  const m = OURS.exec(rule.trim());
  if (!m) return null;
  return { vip: m[1]!, ports: [Number(m[2])], protocol: m[3] === "udp" ? "udp" : "tcp", mark: Number(m[4]) };
}

export interface FirewalldRichLive {
  /** Rich rules per zone (only zones whose rules were read). */
  readonly zones: readonly { readonly name: string; readonly rules: readonly string[] }[];
  /** The ipset, or null when it does not exist in this configuration. */
  readonly set: { readonly type: string; readonly entries: readonly string[] } | null;
}

export interface FirewalldRichDesired {
  readonly zone: string;
  readonly rules: readonly string[];
  readonly members: readonly string[];
}

/**
 * firewall-cmd argv lists turning `live` into `desired` in one configuration
 * (runtime, or permanent with `permanent: true`). Additions come before
 * removals, so at no point is a current peer missing from the set or a
 * service left without its rule. The set itself is created only in the
 * permanent configuration (firewalld has no runtime ipset creation).
 */
export function firewalldRichCommands(
  desired: FirewalldRichDesired,
  live: FirewalldRichLive,
  opts: { readonly permanent: boolean },
): string[][] {
  const base = ["firewall-cmd", ...(opts.permanent ? ["--permanent"] : [])];
  const setArg = `--ipset=${FIREWALLD_PEER_SET}`;
  for (const m of desired.members) assertCharset(MAC, m, "peer MAC");
  assertCharset(NAME, desired.zone, "firewalld zone");
  const commands: string[][] = [];
  const entries = new Set((live.set?.entries ?? []).map((e) => e.toLowerCase()));
  if (live.set === null) {
    if (!opts.permanent) throw new Error(`firewalld runtime has no ipset ${FIREWALLD_PEER_SET}`);
    commands.push([...base, `--new-ipset=${FIREWALLD_PEER_SET}`, `--type=${FIREWALLD_SET_TYPE}`]);
  }
  const addEntries = desired.members.filter((m) => !entries.has(m));
  if (addEntries.length > 0) commands.push([...base, setArg, ...addEntries.map((m) => `--add-entry=${m}`)]);

  const inZone = live.zones.find((z) => z.name === desired.zone)?.rules ?? [];
  const addRules = desired.rules.filter((r) => !inZone.includes(r));
  if (addRules.length > 0)
    commands.push([...base, `--zone=${desired.zone}`, ...addRules.map((r) => `--add-rich-rule=${r}`)]);
  for (const z of live.zones) {
    const stale = z.rules.filter(
      (r) => isOurRichRule(r) && !(z.name === desired.zone && desired.rules.includes(r)),
    );
    if (stale.length > 0)
      commands.push([...base, `--zone=${z.name}`, ...stale.map((r) => `--remove-rich-rule=${r}`)]);
  }
  const removeEntries = [...entries].filter((e) => !desired.members.includes(e));
  if (removeEntries.length > 0)
    commands.push([...base, setArg, ...removeEntries.map((m) => `--remove-entry=${m}`)]);
  return commands;
}
