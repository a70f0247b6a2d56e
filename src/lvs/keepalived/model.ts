// Typed keepalived configuration for one director, built from the inventory.
// Rendering (render.ts) is a separate, purely textual step.
import type { Secret } from "../../config/secret.js";
import type { HealthCheck, Inventory, LvsModel, VrrpHooks } from "../../inventory/model.js";
import type { DirectorFacts, RealServer } from "../directors.js";
import { hooksFor } from "./hooks.js";

export interface VrrpInstanceConfig {
  readonly name: string;
  readonly state: "MASTER" | "BACKUP";
  readonly interface: string;
  readonly virtualRouterId: number;
  readonly priority: number;
  readonly advertIntSec: number;
  readonly auth?: { readonly type: "PASS" | "AH"; readonly password: Secret };
  /** Present for unicast VRRP: our address and the other directors' addresses. */
  readonly unicast?: { readonly srcIp: string; readonly peers: readonly string[] };
  readonly nopreempt: boolean;
  /** keepalived's preempt_delay: seconds a (re)started director stays BACKUP before it takes the VIP back. */
  readonly preemptDelaySec?: number;
  /** Tracks DRAIN_TRACK's file (the rolling apply's drain lowers the priority through it); off under nopreempt. */
  readonly drainTrack: boolean;
  /** `ADDRESS/32 dev IFACE` entries. */
  readonly virtualIps: readonly { readonly address: string; readonly dev: string }[];
  /** This director's failover hooks (track scripts are rendered as vrrp_script blocks). */
  readonly hooks: VrrpHooks;
}

export interface RealServerConfig {
  readonly name: string;
  readonly address: string;
  readonly weight: number;
  readonly check: HealthCheck;
  readonly checkPort: number;
  /**
   * A tcp-kind check of a UDP service's own port must probe over UDP
   * (UDP_CHECK): a TCP connect to a UDP-only port always fails and keepalived
   * would remove every real server. A separate TCP health port stays TCP_CHECK.
   */
  readonly checkOverUdp: boolean;
}

export interface VirtualServerConfig {
  /** Service name, rendered as a comment. */
  readonly service: string;
  readonly summary: string;
  readonly fwmark: number;
  readonly delayLoopSec: number;
  readonly scheduler: string;
  readonly persistenceTimeoutSec?: number;
  readonly realServers: readonly RealServerConfig[];
}

/** keepalived's `lvs_sync_daemon`: the kernel's IPVS connection sync, following the VRRP state. */
export interface SyncDaemonConfig {
  readonly interface: string;
  readonly vrrpInstance: string;
  /** Sync ID 0-255: other clusters' messages on the LAN are ignored (the virtual_router_id). */
  readonly syncId: number;
  /** The MASTER's largest sync message in bytes (keepalived's `maxlen`); absent: the kernel's default. */
  readonly maxlen?: number;
}

export interface KeepalivedConfig {
  readonly routerId: string;
  readonly vrrpOnly: boolean;
  readonly syncDaemon?: SyncDaemonConfig;
  readonly vrrp: VrrpInstanceConfig;
  /** Also rendered when vrrpOnly (keepalived then runs with -P and ignores them). */
  readonly virtualServers: readonly VirtualServerConfig[];
}

export const VRRP_INSTANCE_NAME = "VI_LVSPLAY";

/**
 * The rolling apply's drain (operations/lvs/drain.ts) hands a VIP over by
 * writing 1 to this file: keepalived watches it (inotify) and adds
 * 1 × weight to the instance's priority, which it clamps to 1 — below every
 * peer with a priority above 1 (the drain falls back to stopping keepalived when
 * no peer took over), so a peer preempts while this director keeps its VIP and
 * its IPVS services until the peer has taken over (no moment with the VIP on
 * nobody).
 * -253 is the lowest weight that is not FAULT (keepalived: ≤ -254). Missing
 * file: 0. Under /run, so a reboot never leaves a director drained; /run
 * exists at boot (keepalived drops a track file whose directory does not).
 */
export const DRAIN_TRACK = { name: "lvsplay_drain", file: "/run/lvsplay-drain", weight: -253 } as const;

/**
 * With connection_sync, a director that (re)starts must learn the MASTER's
 * connections before it takes the VIP back: only a sync BACKUP receives them,
 * and keepalived flushed its own when it stopped. So every director starts as
 * BACKUP (a `state MASTER` instance takes the VIP at once, never having been a
 * backup) and waits this long before preempting — longer than the kernel's
 * 2 s sync flush (IPVS_SYNC_FLUSH_TIME), so every entry the
 * MASTER queued after the backup daemon started has arrived, and longer than
 * the MASTER's re-sync of a connection with traffic (SYNC_REFRESH_SEC, set by
 * lvs.ipvs_sysctl) plus a second between its packets, so long-lived
 * connections arrive too.
 */
export const SYNC_REFRESH_SEC = 2;
export const SYNC_PREEMPT_DELAY_SEC = SYNC_REFRESH_SEC + 3;

/** The preempt delay keepalived is configured with (0: none). */
export const preemptDelaySec = (lvs: LvsModel): number =>
  lvs.connectionSync && !lvs.vrrp.nopreempt ? SYNC_PREEMPT_DELAY_SEC : 0;

/**
 * After this long a (re)started keepalived has had its election: VRRP's
 * master-down interval plus skew (3 × advert_int + 2 s), plus the preempt delay.
 */
export const vrrpSettleSec = (lvs: LvsModel): number => 3 * lvs.vrrp.advertIntSec + 2 + preemptDelaySec(lvs);

/**
 * keepalived.conf model for `director`. `marks` are this director's service →
 * fwmark (from allocateMarks); `realServers` come from resolveRealServers.
 * With nopreempt every director starts as BACKUP (keepalived ignores nopreempt
 * on a MASTER-state instance); priority alone then elects the first master.
 */
export function buildKeepalivedConfig(
  inv: Inventory,
  director: string,
  directors: readonly DirectorFacts[],
  marks: Readonly<Record<string, number>>,
  realServers: readonly RealServer[],
): KeepalivedConfig {
  const lvs = inv.lvs;
  if (lvs === undefined) throw new Error("inventory has no lvs section");
  const self = directors.find((d) => d.name === director);
  if (self === undefined) throw new Error(`no facts for director ${director}`);
  const { vrrp } = lvs;
  const priority = vrrp.priorities[director];
  if (priority === undefined) throw new Error(`no VRRP priority for director ${director}`);

  const vips = [...new Set(lvs.services.map((s) => s.vip))];
  const vrrpInstance: VrrpInstanceConfig = {
    name: VRRP_INSTANCE_NAME,
    state: !vrrp.nopreempt && !lvs.connectionSync && vrrp.order[0] === director ? "MASTER" : "BACKUP",
    interface: self.interface,
    virtualRouterId: vrrp.virtualRouterId,
    priority,
    advertIntSec: vrrp.advertIntSec,
    nopreempt: vrrp.nopreempt,
    // A lowered priority moves the VIP only where peers preempt.
    drainTrack: !vrrp.nopreempt,
    ...(preemptDelaySec(lvs) > 0 && { preemptDelaySec: preemptDelaySec(lvs) }),
    virtualIps: vips.map((address) => ({ address, dev: self.interface })),
    hooks: hooksFor(vrrp, director),
    ...(vrrp.auth !== undefined && { auth: vrrp.auth }),
    ...(vrrp.unicast && {
      unicast: {
        srcIp: self.address,
        // Sorted by name: the output must not depend on the order facts arrived in.
        peers: directors
          .filter((d) => d.name !== director)
          .sort((a, b) => a.name.localeCompare(b.name))
          .map((d) => d.address),
      },
    }),
  };

  // Rendered in vrrpOnly mode too: keepalived then runs with -P (VRRP only), but the
  // file stays the one production would get.
  const virtualServers: VirtualServerConfig[] = lvs.services.map((svc) => {
    const fwmark = marks[svc.name];
    if (fwmark === undefined) throw new Error(`no fwmark for service ${svc.name} on ${director}`);
    return {
      service: svc.name,
      summary: `${svc.vip} ${svc.protocol}/${svc.ports.join(",")}`,
      fwmark,
      delayLoopSec: svc.healthCheck.delayLoopSec,
      scheduler: svc.scheduler,
      ...(svc.persistenceTimeoutSec ? { persistenceTimeoutSec: svc.persistenceTimeoutSec } : {}),
      realServers: realServers.map((rs) => ({
        name: rs.name,
        address: rs.address,
        weight: svc.weights[rs.name] ?? 1,
        check: svc.healthCheck,
        checkPort: svc.checkPort,
        checkOverUdp: svc.protocol === "udp" && svc.ports.includes(svc.checkPort),
      })),
    };
  });

  return {
    routerId: director,
    vrrpOnly: lvs.vrrpOnly,
    ...(lvs.connectionSync && {
      syncDaemon: {
        interface: self.interface,
        vrrpInstance: VRRP_INSTANCE_NAME,
        syncId: vrrp.virtualRouterId,
        ...(lvs.connectionSyncMaxlen !== undefined && { maxlen: lvs.connectionSyncMaxlen }),
      },
    }),
    vrrp: vrrpInstance,
    virtualServers,
  };
}
