// firewalld hosts: our chain as permanent direct rules. Direct rules are
// deprecated upstream but remain the only firewalld way to express a mangle MARK
// with a MAC match.
//
// Shape (argv after `firewall-cmd --permanent --direct`):
//   --add-chain ipv4 mangle LVSPLAY-MARK
//   --add-rule  ipv4 mangle PREROUTING 0 -j LVSPLAY-MARK
//   --add-rule  ipv4 mangle LVSPLAY-MARK 0 -d 7.7.7.100/32 … -j MARK --set-xmark 0x1/0xffffffff
// All our rules use priority 0: they match disjoint (VIP, port) sets, so their
// relative order does not matter, and firewalld keeps insertion order anyway.
// `--get-all-rules` prints args shell-quoted (`'!'`), which splitRule reads back.
import { MARK_CHAIN } from "./chain.js";
import { splitRule } from "./tokens.js";

/** `ipv4 mangle CHAIN PRIORITY args…`, as --add-rule / --remove-rule / --get-all-rules use it. */
export type DirectRule = readonly string[];

export interface FirewalldDirect {
  /** `ipv4 mangle LVSPLAY-MARK` */
  readonly chain: readonly string[];
  /** Jump first, then one rule per service. */
  readonly rules: readonly DirectRule[];
}

const FIREWALL_CMD = "firewall-cmd";

/** Our chain rules (`-A LVSPLAY-MARK …` lines) as firewalld direct entries. */
export function firewalldDirectRules(ourChainRules: readonly string[]): FirewalldDirect {
  const rules: DirectRule[] = [["ipv4", "mangle", "PREROUTING", "0", "-j", MARK_CHAIN]];
  for (const line of ourChainRules) {
    const argv = splitRule(line);
    if (argv[0] !== "-A" || argv[1] !== MARK_CHAIN) throw new Error(`not a ${MARK_CHAIN} rule: ${line}`);
    rules.push(["ipv4", "mangle", MARK_CHAIN, "0", ...argv.slice(2)]);
  }
  return { chain: ["ipv4", "mangle", MARK_CHAIN], rules };
}

/** Parse `firewall-cmd --direct --get-all-rules` (or --get-all-chains) output, one entry per line. */
export const parseFirewalldDirectList = (output: string): DirectRule[] =>
  output
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "")
    .map(splitRule);

/** Is this live direct rule ours (in our chain, or the PREROUTING jump to it)? */
const isOurs = (r: DirectRule): boolean =>
  r[0] === "ipv4" &&
  r[1] === "mangle" &&
  (r[2] === MARK_CHAIN || (r[2] === "PREROUTING" && r.slice(4).join(" ") === `-j ${MARK_CHAIN}`));

const key = (r: DirectRule): string => r.join("\u0000");

/**
 * firewall-cmd argv lists that turn the live direct configuration into the
 * desired one: remove our stale rules first, then add the chain (if missing)
 * and missing rules. Rules of others are never touched. Empty when in sync.
 * `permanent: false` targets the runtime configuration instead.
 */
export function firewalldCommands(
  desired: FirewalldDirect,
  live: { readonly rules: readonly DirectRule[]; readonly chains: readonly DirectRule[] },
  opts: { readonly permanent?: boolean } = {},
): string[][] {
  const base = [FIREWALL_CMD, ...(opts.permanent === false ? [] : ["--permanent"]), "--direct"];
  const want = new Set(desired.rules.map(key));
  const have = new Set(live.rules.filter(isOurs).map(key));
  const commands: string[][] = [];
  for (const r of live.rules)
    if (isOurs(r) && !want.has(key(r))) commands.push([...base, "--remove-rule", ...r]);
  if (!live.chains.some((c) => key(c) === key(desired.chain)))
    commands.push([...base, "--add-chain", ...desired.chain]);
  for (const r of desired.rules) if (!have.has(key(r))) commands.push([...base, "--add-rule", ...r]);
  return commands;
}

/** Python shlex.quote, which firewalld uses when it stores and prints rule args. */
export const shlexQuote = (s: string): string =>
  s !== "" && /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'"'"'`)}'`;

const xmlEscape = (s: string): string =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/**
 * /etc/firewalld/direct.xml holding only our entries, in the layout firewalld
 * itself writes (checked against firewall-offline-cmd 1.3.3). For hosts with no
 * other direct rules; otherwise use firewalldCommands, which leaves others alone.
 */
export function firewalldDirectXml(desired: FirewalldDirect): string {
  const [ipv, table, chain] = desired.chain;
  const lines = ['<?xml version="1.0" encoding="utf-8"?>', "<direct>"];
  lines.push(`  <chain ipv="${ipv}" table="${table}" chain="${chain}"/>`);
  for (const [rIpv, rTable, rChain, priority, ...args] of desired.rules) {
    const text = xmlEscape(args.map(shlexQuote).join(" "));
    lines.push(
      `  <rule ipv="${rIpv}" table="${rTable}" chain="${rChain}" priority="${priority}">${text}</rule>`,
    );
  }
  lines.push("</direct>");
  return `${lines.join("\n")}\n`;
}

/**
 * firewall-cmd argv lists removing our direct rules and chain (moving a host
 * to rich rules): the jump first, so nothing jumps to a chain being emptied,
 * then our chain's rules, then the chain. Others' direct rules stay.
 */
export function firewalldDirectRemoval(
  live: { readonly rules: readonly DirectRule[]; readonly chains: readonly DirectRule[] },
  opts: { readonly permanent: boolean },
): string[][] {
  const base = [FIREWALL_CMD, ...(opts.permanent ? ["--permanent"] : []), "--direct"];
  const ours = live.rules.filter(isOurs);
  const jumps = ours.filter((r) => r[2] === "PREROUTING");
  const inChain = ours.filter((r) => r[2] !== "PREROUTING");
  const commands = [...jumps, ...inChain].map((r) => [...base, "--remove-rule", ...r]);
  for (const c of live.chains)
    if (c[0] === "ipv4" && c[1] === "mangle" && c[2] === MARK_CHAIN)
      commands.push([...base, "--remove-chain", ...c]);
  return commands;
}

/** Direct rules that are not lvsplay's (their presence makes firewalld's nftables back-end create kernel ipsets too). */
export const foreignDirectRules = (rules: readonly DirectRule[]): DirectRule[] =>
  rules.filter((r) => !isOurs(r));
