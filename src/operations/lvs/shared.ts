// Helpers shared by the LVS operations: roles, the persistence back-end, and
// the cross-host facts published by earlier stages (discovered MACs, marks).

import type { DataReader } from "../../engine/data.js";
import { type FactReader, factRequest } from "../../engine/types.js";
import { type FirewalldFact, firewalldFact } from "../../facts/firewalld.js";
import { type KernelFact, kernelFact } from "../../facts/kernel.js";
import { type NftablesFact, nftablesFact } from "../../facts/nftables.js";
import { type OsFact, osFact } from "../../facts/os.js";
import type { Host, Inventory, LvsModel } from "../../inventory/model.js";
import { allocateMarks, type DirectorFacts, directorNames } from "../../lvs/index.js";
import { foreignDirectRules, parseFirewalldDirectList } from "../../lvs/marks/firewalld.js";
import { FIREWALLD_SET_TYPE } from "../../lvs/marks/rich.js";
import { DATA_PLANE, type DataPlane } from "./data-keys.js";

export const isDirector = (host: Host): boolean => host.groups.includes("directors");
export const isRealServer = (host: Host): boolean => host.groups.includes("realservers");
export const isClient = (host: Host): boolean => host.groups.includes("clients");

export function lvsOf(inv: Inventory): LvsModel {
  if (!inv.lvs) throw new Error(`${inv.file} has no lvs section: nothing to configure`);
  return inv.lvs;
}

/**
 * Where a director's mark rules live and how they survive a reboot:
 *  - rules.v4 / sysconfig: iptables chain, merged into the iptables save file;
 *  - firewalld: ipset lvs_mark_list + rich rules (runtime and permanent);
 *  - firewalld-direct: firewalld direct rules (fallback for firewalld without rich-rule ipset marks);
 *  - nftables: table inet lvsplay, included from the nftables.service config.
 */
export type ResolvedBackend = "rules.v4" | "sysconfig" | "firewalld" | "firewalld-direct" | "nftables";

export interface BackendFacts {
  readonly os: OsFact;
  readonly firewalld: FirewalldFact;
  readonly nftables: NftablesFact;
  readonly kernel: KernelFact;
}

/** firewalld ≥ 0.6 (the first with the nftables back-end; RHEL 7.6+, RHEL/Rocky 8+, Debian 10+). */
const RICH_MIN_VERSION = [0, 6, 0];

const versionAtLeast = (version: string, min: readonly number[]): boolean => {
  const parts = version.split(".").map((p) => Number.parseInt(p, 10));
  for (let i = 0; i < min.length; i++) {
    const v = Number.isFinite(parts[i]) ? (parts[i] ?? 0) : 0;
    if (v !== min[i]) return v > (min[i] ?? 0);
  }
  return true;
};

/**
 * Why a running firewalld cannot hold the marks as ipset + rich rules (null: it
 * can). Its ipsets are nft sets on the nftables back-end, kernel ipsets on the
 * iptables back-end — and on the nftables back-end too while any direct rule
 * exists (firewalld then mirrors every ipset into the kernel).
 */
export function richRulesUnsupported(fw: FirewalldFact, kernel: KernelFact): string | null {
  if (!fw.running) return null;
  if (!versionAtLeast(fw.version, RICH_MIN_VERSION))
    return `firewalld ${fw.version || "(unknown version)"} is older than 0.6`;
  if (!fw.ipsetTypes.includes(FIREWALLD_SET_TYPE))
    return `firewalld offers no ${FIREWALLD_SET_TYPE} ipsets (types: ${fw.ipsetTypes.join(" ") || "none"})`;
  if (kernel.ipsetHashMac) return null;
  if (fw.backend !== "nftables")
    return `firewalld's ${fw.backend} back-end needs kernel ${FIREWALLD_SET_TYPE} ipsets, which this kernel lacks`;
  const foreign = foreignDirectRules(
    parseFirewalldDirectList([...fw.permanentRules, ...fw.runtimeRules].join("\n")),
  );
  if (foreign.length > 0)
    return `other direct rules make firewalld mirror ipsets into the kernel, which lacks ${FIREWALLD_SET_TYPE}`;
  return null;
}

/** The back-end family, from what the host runs (enough to pick packages). */
export function backendFamily(
  lvs: LvsModel,
  f: Pick<BackendFacts, "firewalld" | "nftables">,
): "iptables" | "firewalld" | "nftables" {
  if (lvs.persistence !== "auto") return lvs.persistence;
  if (f.firewalld.running) return "firewalld";
  // A native nftables host: nftables.service loads the ruleset at boot and no iptables loader does.
  if (f.nftables.service === "enabled" && f.nftables.iptablesLoader !== "enabled") return "nftables";
  return "iptables";
}

/**
 * `auto`: firewalld running → firewalld (rich rules, or direct rules where
 * richRulesUnsupported says so); else nftables.service enabled and no iptables
 * loader enabled → nftables; else the OS family's iptables save file.
 */
export function resolveBackend(lvs: LvsModel, f: BackendFacts): ResolvedBackend {
  const family = backendFamily(lvs, f);
  if (family === "firewalld")
    return richRulesUnsupported(f.firewalld, f.kernel) === null ? "firewalld" : "firewalld-direct";
  if (family === "nftables") return "nftables";
  return f.os.family === "rhel" ? "sysconfig" : "rules.v4";
}

export const SAVE_FILE: Record<"rules.v4" | "sysconfig", string> = {
  "rules.v4": "/etc/iptables/rules.v4",
  sysconfig: "/etc/sysconfig/iptables",
};

/** The facts resolveBackend reads, for an operation's fact list. */
export const backendFactRequests = () => [
  factRequest(osFact),
  factRequest(firewalldFact),
  factRequest(nftablesFact),
  factRequest(kernelFact),
];

export const backendFacts = (facts: FactReader): BackendFacts => ({
  os: facts.get(factRequest(osFact)),
  firewalld: facts.get(factRequest(firewalldFact)),
  nftables: facts.get(factRequest(nftablesFact)),
  kernel: facts.get(factRequest(kernelFact)),
});

/** The firewalld zone the data-plane interface is bound to (runtime), else the default zone. */
export function firewalldZoneOf(fw: FirewalldFact, iface: string | undefined): string {
  const bound = fw.zones.find((z) => iface !== undefined && z.interfaces.includes(iface));
  return bound?.name ?? fw.defaultZone;
}

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
