// Helpers shared by the LVS operations: roles, the persistence back-end, and
// the cross-host facts published by earlier stages (discovered MACs, marks).

import type { FirewalldFact } from "../../facts/firewalld.js";
import type { OsFact } from "../../facts/os.js";
import type { Host, Inventory, LvsModel } from "../../inventory/model.js";
import { allocateMarks, type DirectorFacts, directorNames } from "../../lvs/index.js";

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

/** What `lvs.discover` publishes for each director. */
export interface DiscoveredDirector extends DirectorFacts {
  /** Marks set on this host by rules lvsplay does not own. */
  readonly foreignMarks: readonly number[];
}

export const DISCOVER_KEY = "lvs.discover";

type Published = Readonly<Record<string, Readonly<Record<string, unknown>>>>;

/** Every director's discovered facts, or the list of directors whose facts are missing. */
export function discoveredDirectors(
  inv: Inventory,
  published: Published,
): { directors: DiscoveredDirector[]; missing: string[] } {
  const directors: DiscoveredDirector[] = [];
  const missing: string[] = [];
  for (const name of directorNames(inv)) {
    const d = published[name]?.[DISCOVER_KEY] as DiscoveredDirector | undefined;
    if (d) directors.push(d);
    else missing.push(name);
  }
  return { directors, missing };
}

/** This host's own discovered data plane (undefined for non-directors or when discovery failed). */
export const discoveredSelf = (hostName: string, published: Published): DiscoveredDirector | undefined =>
  published[hostName]?.[DISCOVER_KEY] as DiscoveredDirector | undefined;

/** Plan error text when a peer's facts are missing (it failed or was unreachable earlier). */
export const missingPeersError = (missing: readonly string[]): string =>
  `facts of director(s) ${missing.join(", ")} are missing (failed or unreachable in the discover stage): ` +
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
