// What a director's mark rules mean, independent of the firewall that runs
// them: per service, packets to VIP:port(s) whose source MAC is not a peer
// director's get this director's mark. The iptables chain, the nftables table
// and the firewalld rich rules are renderings of this; the peers' MACs live in
// a set (nftables, firewalld) so a NIC swap changes set members only.
import type { Protocol, Service } from "../../inventory/model.js";
import { type DirectorFacts, normaliseMac } from "../directors.js";

/** firewalld's ipset of peer-director MACs (the name the original procedure inspects). */
export const FIREWALLD_PEER_SET = "lvs_mark_list";

export interface MarkRuleSpec {
  readonly service: string;
  readonly vip: string;
  readonly protocol: Protocol;
  readonly ports: readonly number[];
  readonly mark: number;
}

/** One spec per service, in service order. */
export function markRuleSpecs(
  services: readonly Service[],
  marks: Readonly<Record<string, number>>,
): MarkRuleSpec[] {
  return services.map((svc) => {
    const mark = marks[svc.name];
    if (mark === undefined) throw new Error(`no fwmark for service ${svc.name}`);
    return { service: svc.name, vip: svc.vip, protocol: svc.protocol, ports: [...svc.ports], mark };
  });
}

/** The MACs a director excludes: every other director's, ordered by director name, lower case. */
export function peerMacs(
  director: Pick<DirectorFacts, "name">,
  directors: readonly DirectorFacts[],
): string[] {
  const macs = directors
    .filter((d) => d.name !== director.name)
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((d) => normaliseMac(d.mac));
  return [...new Set(macs)];
}

/** Members to add and to remove so `live` becomes `desired` (order kept: desired's, then live's). */
export function memberChanges(
  live: readonly string[],
  desired: readonly string[],
): { add: string[]; remove: string[] } {
  const have = new Set(live.map(normaliseMac));
  const want = new Set(desired.map(normaliseMac));
  return {
    add: [...want].filter((m) => !have.has(m)),
    remove: [...have].filter((m) => !want.has(m)),
  };
}

export const sameMembers = (a: readonly string[], b: readonly string[]): boolean => {
  const { add, remove } = memberChanges(a, b);
  return add.length === 0 && remove.length === 0;
};
