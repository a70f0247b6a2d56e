// Why a change is needed, as data: every change carries one. The drift audit
// classifies severity from it (never from summary text), and the rolling apply
// decides from it whether a director must hand its VIP over first.

export const CHANGE_CAUSES = [
  "package-missing",
  /** A director's mark rule (or its chain/jump) is missing. */
  "mark-rule-missing",
  /** A mark rule excludes a MAC no peer director has any more. */
  "mark-rule-stale-mac",
  /** Mark rules exist but differ (VIP, port, mark). */
  "mark-rule-differs",
  /** The ip_vs module is not loaded. */
  "ipvs-module",
  /** The persisted rules (save file, firewalld permanent) differ from the desired rules. */
  "persisted-rules",
  /** DR sysctls differ live / in their sysctl.d file. */
  "dr-sysctl-live",
  "dr-sysctl-persisted",
  /** IPVS sysctls differ live / in their file (or ip_vs is not loaded at boot). */
  "ipvs-sysctl-live",
  "ipvs-sysctl-persisted",
  /** A VIP is missing from lo (subject: VIP/32); a VIP of a removed service is still there; boot script or unit differ. */
  "vip-on-lo-live",
  "vip-on-lo-stale",
  "vip-on-lo-boot",
  /** firewalld does not allow a protocol/port (subject: e.g. "vrrp", "80/tcp"). */
  "firewalld-port",
  "keepalived-options",
  "keepalived-config",
  /** An IPVS sync daemon runs that no keepalived configuration on the host asks for (subject: master/backup). */
  "ipvs-sync-daemon",
  /** The rolling apply's drain file outside a drain: it holds a director's VRRP priority at 1. */
  "drain-left-behind",
  /** Service state (subject: the service name). */
  "service-stopped",
  "service-running",
  "service-reload",
  "service-restart",
  "service-boot",
  /** A playbook `file` task's content or mode. */
  "file-content",
  /** A playbook `command` task. */
  "command",
] as const;
export type ChangeCauseKind = (typeof CHANGE_CAUSES)[number];

export interface ChangeCause {
  readonly kind: ChangeCauseKind;
  /** What it is about, when the kind alone does not say: a service, a port, a VIP. */
  readonly subject?: string;
  /**
   * Set by the operation when a change of a kind that would otherwise interrupt
   * a VIP holder's traffic (a mark-rule rewrite, a keepalived.conf change) does
   * not this time, and why: the rolling apply then makes it without handing
   * the VIP over. Absent: the kind decides.
   */
  readonly inPlace?: string;
}

export const cause = (kind: ChangeCauseKind, subject?: string): ChangeCause =>
  subject === undefined ? { kind } : { kind, subject };

/** The same cause, marked as one a VIP holder can take in place (see ChangeCause.inPlace). */
export const inPlace = (c: ChangeCause, why: string | undefined): ChangeCause =>
  why === undefined ? c : { ...c, inPlace: why };
