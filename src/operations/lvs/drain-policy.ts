// What the rolling apply's drain decides from data alone (no host contact):
// which changes interrupt the traffic of a director that holds a VIP, which
// changes the drain itself carries out, and which peers can take a VIP over.
import type { ChangeCause, ChangeCauseKind } from "../../engine/cause.js";
import type { Change } from "../../engine/types.js";

/** Changes that, on a VIP holder, drop or stall the VIP's traffic: keepalived reloads/restarts, mark-rule rewrites. */
const DISRUPTING: ReadonlySet<ChangeCauseKind> = new Set([
  "keepalived-config",
  "keepalived-options",
  "mark-rule-missing",
  "mark-rule-stale-mac",
  "mark-rule-differs",
]);
const KEEPALIVED = "keepalived";

export function disrupts(cause: ChangeCause): boolean {
  // The operation knows this one does not (an atomic replace, a reload that edits in place).
  if (cause.inPlace !== undefined) return false;
  if (DISRUPTING.has(cause.kind)) return true;
  return (
    (cause.kind === "service-reload" || cause.kind === "service-restart") && cause.subject === KEEPALIVED
  );
}

/**
 * What a host's stage has written to lvsplay's keepalived files so far: a
 * reload loads exactly that. "in-place": every such change could be reloaded
 * on a VIP holder (virtual servers only); "hand-over": one could not.
 */
export type StageKeepalived = "nothing" | "in-place" | "hand-over";

export function afterKeepalivedWrite(written: StageKeepalived, change: Change): StageKeepalived {
  // A playbook's own file or command task may write keepalived configuration too: not known to be in place.
  if (change.cause.kind === "file-content" || change.cause.kind === "command") return "hand-over";
  if (change.cause.kind !== "keepalived-config") return written;
  return written === "hand-over" || change.cause.inPlace === undefined ? "hand-over" : "in-place";
}

const isKeepalivedReload = (change: Change) =>
  change.cause.kind === "service-reload" && change.cause.subject === KEEPALIVED;

/**
 * Why a change of a disrupting kind can be made on a VIP holder as it is, or
 * undefined when it needs a hand-over (or disrupts nothing anyway). A
 * keepalived reload is in place when this stage wrote only changes a reload
 * takes in place; a reload with nothing written this stage loads whatever is
 * on disk, so it is handed over (a config written by an earlier, failed run).
 */
export function inPlaceReason(change: Change, written: StageKeepalived): string | undefined {
  if (isKeepalivedReload(change))
    return written === "in-place"
      ? "the reload loads only virtual server changes, which keepalived edits in place"
      : undefined;
  return DISRUPTING.has(change.cause.kind) ? change.cause.inPlace : undefined;
}

/** Whether a change must wait until a VIP holder has handed its VIPs over. */
export const disruptsTraffic = (change: Change, written: StageKeepalived = "nothing"): boolean =>
  isKeepalivedReload(change) ? written !== "in-place" : disrupts(change.cause);

/**
 * A drained director stays drained after a stage when it did not fail and a
 * later stage of its batch may still disrupt its traffic: one hand-over per
 * director for a change that spans stages (mark rules, then keepalived.conf),
 * not one per stage. Released before the first stage that cannot, so checks
 * after it see keepalived running. Only when it is its batch's one director
 * (--serial auto): a peer in the same batch may hold the VIP by the next stage
 * and need this one to hand it to — restored between stages, it can be.
 */
export function keepDrained(
  failed: boolean,
  laterCauses: readonly ChangeCause[],
  otherDirectorsInBatch: number,
): boolean {
  return !failed && otherDirectorsInBatch === 0 && laterCauses.some(disrupts);
}

/**
 * While a director is drained by stopping keepalived (drain.ts: nopreempt, or
 * no drain file tracked yet), the drain starts it again (with whatever
 * configuration the stage wrote) when the host's stage ends. A start, reload or restart of keepalived planned meanwhile is therefore
 * carried out by the drain: starting it earlier would take the VIP back before
 * the stage's other changes (and a reload of a stopped unit fails on systemd).
 */
export function carriedOutByDrain(change: Change): boolean {
  return (
    change.kind === "command" &&
    change.cause.subject === KEEPALIVED &&
    (change.cause.kind === "service-stopped" ||
      change.cause.kind === "service-reload" ||
      change.cause.kind === "service-restart")
  );
}

/** A peer director as the drain sees it just before handing a VIP over. */
export interface PeerState {
  readonly name: string;
  /** Why it cannot take a VIP (unreachable, keepalived not running, drained itself); undefined: it can. */
  readonly unfit?: string;
}

export type HandOver =
  /** Hand the VIPs over: these peers can take them. */
  | { readonly kind: "drain"; readonly peers: readonly string[] }
  /** The only director: there is nobody to hand over to (said, and applied in place). */
  | { readonly kind: "only-director" }
  /** Peers exist but none can take over: refuse rather than cause an outage. */
  | { readonly kind: "refuse"; readonly reason: string };

export function planHandOver(host: string, vips: readonly string[], peers: readonly PeerState[]): HandOver {
  if (peers.length === 0) return { kind: "only-director" };
  const fit = peers.filter((p) => p.unfit === undefined).map((p) => p.name);
  if (fit.length > 0) return { kind: "drain", peers: fit };
  return {
    kind: "refuse",
    reason:
      `${host} holds ${vips.join(", ")} and no peer director can take ${vips.length > 1 ? "them" : "it"} over ` +
      `(${peers.map((p) => `${p.name}: ${p.unfit}`).join("; ")}): refusing a change that would interrupt the service ` +
      "(repair a peer first, or apply with --no-drain to change it in place)",
  };
}

/** Holders per VIP, from each director's held VIPs. */
export function holdersOf(vips: readonly string[], held: ReadonlyMap<string, readonly string[]>) {
  return new Map(vips.map((v) => [v, [...held.entries()].filter(([, h]) => h.includes(v)).map(([d]) => d)]));
}

/** "10.0.0.100 on bravo; 10.0.0.101 on nobody" */
export const describeHolders = (holders: ReadonlyMap<string, readonly string[]>): string =>
  [...holders.entries()]
    .map(([vip, hs]) => `${vip} on ${hs.length === 0 ? "no director" : hs.join(", ")}`)
    .join("; ");
