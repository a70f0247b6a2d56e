// nftables: the live ruleset as `nft -j list ruleset` prints it (our table and
// the marks other tables set), and which boot-time loaders are enabled — what
// `persistence: auto` decides from (a native nftables host loads its rules
// with nftables.service, an iptables host with netfilter-persistent or
// iptables.service).
import type { Fact } from "../engine/types.js";
import { type NftRulesetView, parseNftRuleset } from "../lvs/marks/nft-parse.js";

export type UnitState = "enabled" | "disabled" | "absent" | "unknown";

export interface NftablesFact {
  /** The nft command exists. */
  readonly installed: boolean;
  /** nftables.service's boot enablement (systemctl is-enabled). */
  readonly service: UnitState;
  /** Boot loaders of iptables rules: netfilter-persistent (Debian) or iptables.service (RHEL). */
  readonly iptablesLoader: UnitState;
  /** Parsed ruleset; empty view when nft is missing. */
  readonly ruleset: NftRulesetView;
}

// `systemctl is-enabled` reads unit files (it works without systemd as PID 1);
// an unknown unit prints nothing on stdout.
const PROBE = [
  'st() { if command -v systemctl >/dev/null 2>&1; then s=$(systemctl is-enabled -- "$1" 2>/dev/null); echo "$2=${s:-absent}"; else echo "$2=unknown"; fi; }',
  "st nftables.service nftables",
  "a=$(systemctl is-enabled netfilter-persistent.service 2>/dev/null); b=$(systemctl is-enabled iptables.service 2>/dev/null)",
  'if ! command -v systemctl >/dev/null 2>&1; then echo loader=unknown; elif [ "$a" = enabled ] || [ "$b" = enabled ]; then echo loader=enabled; elif [ -n "$a$b" ]; then echo loader=disabled; else echo loader=absent; fi',
  "if ! command -v nft >/dev/null 2>&1; then echo nft=missing; exit 0; fi",
  "echo nft=yes",
  "exec nft -j list ruleset",
].join("\n");

const EMPTY: NftRulesetView = { ours: null, foreignMarks: [], foreignMarkRules: [] };

const unitState = (v: string | undefined): UnitState => {
  if (v === undefined || v === "unknown") return "unknown";
  if (v === "absent") return "absent";
  // enabled-runtime, static, indirect, alias… all load at boot or are not ours to decide.
  return v.startsWith("enabled") ? "enabled" : "disabled";
};

export function parseNftables(stdout: string, code: number | null, stderr: string): NftablesFact {
  const get = (k: string) => new RegExp(`^${k}=(\\S*)$`, "m").exec(stdout)?.[1];
  const service = unitState(get("nftables"));
  const iptablesLoader = unitState(get("loader"));
  if (get("nft") !== "yes") return { installed: false, service, iptablesLoader, ruleset: EMPTY };
  if (code !== 0) throw new Error(`nft list ruleset failed (exit ${code}): ${stderr.trim()}`);
  const json = stdout.slice(stdout.indexOf("nft=yes\n") + "nft=yes\n".length).trim();
  // An empty ruleset prints the metainfo only; an nft without JSON support prints nothing.
  return { installed: true, service, iptablesLoader, ruleset: json === "" ? EMPTY : parseNftRuleset(json) };
}

export const nftablesFact: Fact<NftablesFact> = {
  name: "nftables",
  // "lvsplay-fact" is $0: the script's own positional parameters belong to its function st().
  command: () => ({ argv: ["sh", "-c", PROBE, "lvsplay-fact"] }),
  parse: (r) => parseNftables(r.stdout, r.code, r.stderr),
};
