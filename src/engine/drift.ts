// The vocabulary of drift: what kind of thing differs from the inventory and
// how urgent it is. Operations may attach a DriftNote to a change (they know
// the context: which peer, which MAC); the audit classifies the rest.

/** Ordered: the first is the most urgent. */
export const DRIFT_SEVERITIES = ["critical", "high", "medium", "low"] as const;
export type DriftSeverity = (typeof DRIFT_SEVERITIES)[number];

export type DriftKind =
  /** A director's mark rule (or its chain/jump) is missing: ping-pong loop possible. */
  | "mark-rule-missing"
  /** A mark rule excludes a MAC no peer director has any more: loop possible. */
  | "mark-rule-stale-mac"
  /** The mark rules exist but differ from the inventory (VIP, port, mark). */
  | "mark-rule-differs"
  /** The persisted rules (rules.v4 / sysconfig / firewalld permanent) differ from what runs. */
  | "persisted-rules"
  | "keepalived-config"
  | "keepalived-stopped"
  | "keepalived-options"
  /** arp_ignore / arp_announce / rp_filter differ from the DR settings. */
  | "dr-sysctl"
  /** A director black-holes connections to removed real servers (expire_nodest_conn). */
  | "ipvs-sysctl"
  /** An IPVS sync daemon runs that nothing asks for (left by keepalived after connection_sync was turned off). */
  | "ipvs-sync-daemon"
  /** A drain file left behind holds a director's VRRP priority at 1. */
  | "keepalived-drained"
  /** The VIP is not on lo of a real server (live) or not restored at boot. */
  | "vip-on-lo"
  | "firewalld-ports"
  | "package-missing"
  | "other";

/** An operation's account of why a change is needed, in operator language. */
export interface DriftNote {
  readonly kind: DriftKind;
  readonly severity: DriftSeverity;
  /** What is wrong and what it risks, e.g. "mark rule excludes …, but ds2 now has …". */
  readonly summary: string;
  readonly expected: string | null;
  readonly actual: string | null;
}
