// IPVS behaviour on directors: net.ipv4.vs.expire_nodest_conn=1. In DR mode a
// director never sees a connection close, so its entries sit in FIN_WAIT for
// two minutes; a client that reuses a source port in that time is sent along
// the old entry. When a health check has removed that real server, IPVS drops
// the packets (the default, 0) — the client hangs — instead of expiring the
// entry and scheduling the connection anew (1). Found by the data-plane test:
// 2 of 30 requests timed out after rs3 was removed.
// With lvs.connection_sync, also net.ipv4.vs.backup_only=1: while keepalived
// runs the backup sync daemon (this director is not the VRRP MASTER) IPVS
// passes every packet to the local stack — the director is a plain real
// server. The kernel added it for exactly this layout (DR directors that are
// each other's real servers): without it a backup still forwards along
// connection entries it made as MASTER, and IPVS looks connections up by
// address and port before any fwmark matters, so a peer's packet can be sent
// back to the peer — the loop the data-plane test found after a failback.
// The key exists only once ip_vs is loaded, so ip_vs is also loaded at boot
// (modules-load.d runs before sysctl.d there).
import { z } from "zod";
import { cause } from "../../engine/cause.js";
import { type Change, factRequest, type Operation, type Plan, unchanged } from "../../engine/types.js";
import { fileFact } from "../../facts/file.js";
import { kernelFact } from "../../facts/kernel.js";
import { sysctlFact } from "../../facts/sysctl.js";
import type { LvsModel } from "../../inventory/model.js";
import { SYNC_REFRESH_SEC } from "../../lvs/keepalived/model.js";
import { isDirector, lvsOf } from "./shared.js";
import { fileChangeIfDiffers, sysctlChanges } from "./sysctl-plan.js";

const Args = z.strictObject({});

export const IPVS_SYSCTL_FILE = "/etc/sysctl.d/90-lvsplay-ipvs.conf";
export const IPVS_MODULES_FILE = "/etc/modules-load.d/lvsplay-ipvs.conf";
const EXPIRE_NODEST: Readonly<Record<string, string>> = { "net.ipv4.vs.expire_nodest_conn": "1" };
/**
 * With connection_sync: backup_only, and time-based re-sync. By default the
 * MASTER syncs a connection at its 3rd packet and every 50th after
 * (sync_threshold 3 50), so a long-lived connection with little traffic is
 * not re-sent for minutes, and a director that was down meanwhile (its entries
 * flushed when keepalived stopped) never learns it before it takes the VIP
 * back. With the period 0 and sync_refresh_period set, the kernel
 * (ip_vs_sync_conn_needed) syncs at ESTABLISHED, on every state change, and
 * again on the first packet SYNC_REFRESH_SEC after the last sync — within the
 * returning director's preempt delay (SYNC_PREEMPT_DELAY_SEC).
 */
const SYNC: Readonly<Record<string, string>> = {
  "net.ipv4.vs.backup_only": "1",
  "net.ipv4.vs.sync_threshold": "3 0",
  "net.ipv4.vs.sync_refresh_period": String(SYNC_REFRESH_SEC),
};

/** The IPVS sysctls a director of this inventory needs. */
export const ipvsSysctls = (lvs: LvsModel): Readonly<Record<string, string>> =>
  lvs.connectionSync ? { ...EXPIRE_NODEST, ...SYNC } : EXPIRE_NODEST;

const targetOf = (lvs: LvsModel) =>
  ({
    path: IPVS_SYSCTL_FILE,
    purpose: lvs.connectionSync
      ? "expire IPVS connections whose real server was removed (else they are black-holed); a director that is not the VRRP MASTER is only a real server (no loop through connection entries); connections re-synced every few seconds"
      : "expire IPVS connections whose real server was removed (else they are black-holed)",
    values: ipvsSysctls(lvs),
    causes: { live: "ipvs-sysctl-live", persisted: "ipvs-sysctl-persisted" },
  }) as const;
const MODULES_CONTENT = "# Managed by lvsplay: load IPVS at boot, so that its sysctls apply\nip_vs\n";

export const ipvsSysctlOperation: Operation<z.infer<typeof Args>> = {
  name: "lvs.ipvs_sysctl",
  description:
    "persist and apply expire_nodest_conn=1 on directors (no black hole after a health check), and backup_only=1 with connection_sync",
  argsSchema: Args,
  parseArgs: (raw) => Args.parse(raw ?? {}),
  facts: ({ host, inventory }) =>
    isDirector(host)
      ? [
          factRequest(kernelFact),
          factRequest(fileFact, IPVS_SYSCTL_FILE),
          factRequest(fileFact, IPVS_MODULES_FILE),
          factRequest(sysctlFact, ...Object.keys(ipvsSysctls(lvsOf(inventory)))),
        ]
      : [],
  plan: ({ host, inventory, facts }): Plan => {
    if (!isDirector(host)) return { changes: [], skipped: "not a director" };
    const kernel = facts.get(factRequest(kernelFact));
    if (kernel.ipvs === "absent") {
      const why = lvsOf(inventory).vrrpOnly
        ? "IPVS not available on this kernel (lab concession vrrp_only): no IPVS sysctls"
        : "IPVS not available on this kernel";
      return { changes: [], skipped: why };
    }
    // Run alone (--tags persist) the marks stage has not loaded ip_vs: the key would not exist yet.
    const load: Change[] =
      kernel.ipvs === "loadable"
        ? [
            {
              kind: "command",
              cause: cause("ipvs-module"),
              summary: "load the ip_vs kernel module",
              command: { argv: ["modprobe", "ip_vs"], become: true, timeoutSec: 30 },
              before: "ip_vs not loaded",
              after: "ip_vs loaded",
            },
          ]
        : [];
    const changes = [
      ...load,
      ...fileChangeIfDiffers(
        IPVS_MODULES_FILE,
        facts.get(factRequest(fileFact, IPVS_MODULES_FILE)),
        MODULES_CONTENT,
        "ipvs-sysctl-persisted",
      ),
      ...sysctlChanges(
        targetOf(lvsOf(inventory)),
        facts.get(factRequest(fileFact, IPVS_SYSCTL_FILE)),
        facts.get(factRequest(sysctlFact, ...Object.keys(ipvsSysctls(lvsOf(inventory))))),
      ),
    ];
    return changes.length > 0 ? { changes } : unchanged("IPVS sysctls set and persisted");
  },
};
