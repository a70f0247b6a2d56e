// verify's keepalived checks, each a pure function of facts: lvsplay's file as
// rendered, the IPVS sync daemon in the role VRRP gave the director, and no
// drain left holding its priority down.
import type { CheckResult } from "../../engine/types.js";
import type { IpvsFact } from "../../facts/ipvs.js";
import { contentOf } from "../../facts/keepalived-config.js";
import { DRAIN_TRACK } from "../../lvs/keepalived/model.js";
import { keepalivedFiles } from "./keepalived-files.js";

const pass = (name: string, detail: string): CheckResult => ({ name, status: "pass", detail });
const fail = (name: string, detail: string): CheckResult => ({ name, status: "fail", detail });

/**
 * connection_sync: keepalived runs the master sync daemon where this director
 * holds the VIP and the backup one elsewhere — the backup daemon is what makes
 * backup_only turn a non-MASTER director into a plain real server.
 */
export function syncDaemonCheck(ipvs: IpvsFact, holdsVip: boolean, maxlen?: number): CheckResult {
  const { master, backup, masterMaxlen } = ipvs.syncDaemons;
  const have = master && backup ? "master and backup" : master ? "master" : backup ? "backup" : "none";
  const want = holdsVip ? "master" : "backup";
  const why = holdsVip ? "holds the VIP" : "does not hold the VIP";
  if (have !== want)
    return fail(
      "IPVS sync daemon",
      `${have} running, want ${want} (${why}): is keepalived's lvs_sync_daemon in effect?`,
    );
  // lvs.connection_sync_maxlen: the master sends messages of that size (the kernel keeps the size asked).
  if (master && maxlen !== undefined && masterMaxlen !== undefined && masterMaxlen !== maxlen)
    return fail(
      "IPVS sync daemon",
      `master (${why}) sends messages of up to ${masterMaxlen} bytes, connection_sync_maxlen is ${maxlen}: restart keepalived to start it anew`,
    );
  const size = master && masterMaxlen !== undefined ? `, messages of up to ${masterMaxlen} bytes` : "";
  return pass("IPVS sync daemon", `${want} (${why}${size})`);
}

/** lvsplay's file equals the rendered one and the main file includes it once, with no conflict. */
export function keepalivedConfigCheck(
  hostName: string,
  inventory: Parameters<typeof keepalivedFiles>[1],
  data: Parameters<typeof keepalivedFiles>[2],
  config: Parameters<typeof keepalivedFiles>[3],
  mangleSave: string,
): CheckResult {
  const name = "keepalived config";
  const files = keepalivedFiles(hostName, inventory, data, config, mangleSave);
  if ("error" in files) return fail(name, files.error);
  const { coexist } = files;
  if (coexist.errors.length > 0) return fail(name, coexist.errors.join("; "));
  const problems = [
    ...(contentOf(config, config.own) === files.own
      ? []
      : [`${config.own} differs from the rendered config`]),
    ...(coexist.mainDrift ? [coexist.mainDrift] : []),
  ];
  return problems.length === 0
    ? pass(name, `${config.own} matches the rendered config; ${config.main} includes it once`)
    : fail(name, problems.join("; "));
}

/**
 * The drain file is only there while a rolling apply hands this director's
 * VIPs over (its held command removes it). Outside one it keeps the director's
 * VRRP priority at 1: it would never take a VIP back, or take one at all while
 * a peer runs — a drain left behind, or an operator's own.
 */
export function drainCheck(present: boolean): CheckResult {
  return present
    ? fail(
        "not drained",
        `${DRAIN_TRACK.file} exists: keepalived holds this director's priority at 1 (a drain left behind, or set by hand); remove the file to restore it`,
      )
    : pass("not drained", `no ${DRAIN_TRACK.file}`);
}
