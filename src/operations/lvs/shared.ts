// Helpers shared by the LVS operations: roles, the persistence back-end, and
// the cross-host facts published by earlier stages (discovered MACs, marks).

import type { DataReader } from "../../engine/data.js";
import type { FirewalldFact } from "../../facts/firewalld.js";
import type { OsFact } from "../../facts/os.js";
import type { Host, Inventory, LvsModel } from "../../inventory/model.js";
import { allocateMarks, type DirectorFacts, directorNames } from "../../lvs/index.js";
import { DATA_PLANE, type DataPlane } from "./data-keys.js";

export const isDirector = (host: Host): boolean => host.groups.includes("directors");
export const isRealServer = (host: Host): boolean => host.groups.includes("realservers");
export const isClient = (host: Host): boolean => host.groups.includes("clients");

export function lvsOf(inv: Inventory): LvsModel {
  if (!inv.lvs) throw new Error(`${inv.file} has no lvs section: nothing to configure`);
  return inv.lvs;
}

export type ResolvedBackend = "rules.v4" | "sysconfig" | "firewalld";

/** `auto`: firewalld running → firewalld; otherwise the OS family's iptables save file. */
export function resolveBackend(
  lvs: LvsModel,
  os: OsFact,
  firewalld: Pick<FirewalldFact, "running">,
): ResolvedBackend {
  if (lvs.persistence === "firewalld" || (lvs.persistence === "auto" && firewalld.running))
    return "firewalld";
  return os.family === "rhel" ? "sysconfig" : "rules.v4";
}

export const SAVE_FILE: Record<Exclude<ResolvedBackend, "firewalld">, string> = {
  "rules.v4": "/etc/iptables/rules.v4",
  sysconfig: "/etc/sysconfig/iptables",
};

/** A director's data plane as lvs.discover found it (what its peers must exclude). */
export type DiscoveredDirector = DataPlane;

/** Every director's data plane, or the list of directors whose data plane is missing. */
export function discoveredDirectors(
  inv: Inventory,
  data: DataReader,
): { directors: DiscoveredDirector[]; missing: string[] } {
  const directors: DiscoveredDirector[] = [];
  const missing: string[] = [];
  for (const name of directorNames(inv)) {
    const d = data.get(DATA_PLANE, name);
    if (d) directors.push(d);
    else missing.push(name);
  }
  return { directors, missing };
}

/** Plan error text when a peer's data plane is missing (it failed or was unreachable). */
export const missingPeersError = (missing: readonly string[]): string =>
  `data plane of director(s) ${missing.join(", ")} is missing (failed or unreachable): ` +
  "refusing to write mark rules that would not exclude them";

/** Two directors with the same MAC would exclude themselves: refuse. */
export function duplicateMacError(directors: readonly DirectorFacts[]): string | undefined {
  const byMac = new Map<string, string[]>();
  for (const d of directors) byMac.set(d.mac, [...(byMac.get(d.mac) ?? []), d.name]);
  const dups = [...byMac.entries()].filter(([, names]) => names.length > 1);
  if (dups.length === 0) return undefined;
  return dups.map(([mac, names]) => `directors ${names.join(" and ")} report the same MAC ${mac}`).join("; ");
}

/** Marks for every director, from all directors' foreign marks (deterministic cluster-wide). */
export function clusterMarks(inv: Inventory, directors: readonly DiscoveredDirector[]) {
  const used: Record<string, ReadonlySet<number>> = {};
  for (const d of directors) used[d.name] = new Set(d.foreignMarks);
  return allocateMarks(inv, used);
}
