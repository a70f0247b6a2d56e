// lvs.connection_sync on a running cluster (issue 16 d and the failback loop):
// the inventory with it turned on, which IPVS sync daemon each director runs,
// and the directors' connection tables for failure messages.
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parse, stringify } from "yaml";
import { type GuestLab, inHost, inHostOk } from "./guest-lab.js";

/**
 * The master's sync message size the tests run with (lvs.connection_sync_maxlen):
 * one IPVS entry per message, so each leaves with the next sync event instead
 * of waiting for ~40 to fill an MTU-sized one (or 2 s).
 */
export const SYNC_MAXLEN = 64;

/** Writes `inventoryFile` with `lvs.connection_sync` set to `on` (and SYNC_MAXLEN) beside it; returns its path. */
export function inventoryWithConnectionSync(inventoryFile: string, on = true): string {
  const doc = parse(readFileSync(inventoryFile, "utf8"));
  if (typeof doc?.lvs !== "object" || doc.lvs === null) throw new Error(`${inventoryFile}: no lvs section`);
  doc.lvs.connection_sync = on;
  if (on) doc.lvs.connection_sync_maxlen = SYNC_MAXLEN;
  else delete doc.lvs.connection_sync_maxlen;
  const out = join(dirname(inventoryFile), `inventory-connection-sync-${on ? "on" : "off"}.yaml`);
  writeFileSync(out, stringify(doc));
  return out;
}

export type SyncDaemon = "master" | "backup" | "master+backup" | "none";

/** `ipvsadm -L --daemon`: "master sync daemon (mcast=eth1, syncid=51)" and/or "backup sync daemon (…)". */
export function parseSyncDaemons(text: string): SyncDaemon {
  const master = /^master sync daemon/m.test(text);
  const backup = /^backup sync daemon/m.test(text);
  return master && backup ? "master+backup" : master ? "master" : backup ? "backup" : "none";
}

export async function syncDaemonOf(
  lab: GuestLab,
  host: string,
): Promise<{ daemon: SyncDaemon; text: string }> {
  const text = await inHostOk(lab, host, ["ipvsadm", "-L", "--daemon"]);
  return { daemon: parseSyncDaemons(text), text };
}

export async function sysctlOf(lab: GuestLab, host: string, key: string): Promise<string> {
  return (await inHostOk(lab, host, ["sysctl", "-n", key])).trim();
}

/**
 * Every director's `ipvsadm -Lnc` entries for the client address:port in
 * `worst` (a loop assertion's "host: 7.7.7.50:38042 seq …"), for its message:
 * which director still held an entry for the looping connection, and where to.
 */
export async function connectionEntriesFor(
  lab: GuestLab,
  hosts: readonly string[],
  worst: string,
): Promise<string> {
  const client = /(\d+\.\d+\.\d+\.\d+:\d+)/.exec(worst)?.[1];
  const tables = await Promise.all(
    hosts.map(async (h) => {
      const r = await inHost(lab, h, ["ipvsadm", "-Lnc"]);
      const lines = r.stdout.split("\n").filter((l) => l.trim() !== "");
      const mine = client === undefined ? lines.slice(0, 20) : lines.filter((l) => l.includes(client));
      return `${h}: ${lines.length} entries; for ${client ?? "?"}:\n  ${mine.join("\n  ") || "(none)"}`;
    }),
  );
  return tables.join("\n");
}
