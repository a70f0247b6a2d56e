// Facts about directors that the pure LVS logic needs, and small inventory helpers.
// Facts are discovered on the hosts by others (src/facts); here they are plain data.
import type { Host, Inventory } from "../inventory/model.js";

/** What we know about one director's data-plane side. */
export interface DirectorFacts {
  readonly name: string;
  /** Data-plane interface facing the real servers (VRRP and the VIP live here). */
  readonly interface: string;
  /** MAC the director forwards with on that interface: the one its peers must exclude. */
  readonly mac: string;
  /** IPv4 address on that interface (unicast VRRP source, real server address). */
  readonly address: string;
}

/** A real server as keepalived and the loop analysis see it. */
export interface RealServer {
  readonly name: string;
  readonly address: string;
}

/** Members of a role group, inventory order (empty when the group is absent). */
export const groupMembers = (inv: Inventory, group: string): readonly string[] => inv.groups[group] ?? [];

export const directorNames = (inv: Inventory): readonly string[] => groupMembers(inv, "directors");

export const realServerNames = (inv: Inventory): readonly string[] => groupMembers(inv, "realservers");

const hostByName = (inv: Inventory, name: string): Host | undefined => inv.hosts.find((h) => h.name === name);

/**
 * Real servers with their data-plane addresses: a director's address comes from
 * its facts (the SSH address may be a management network); other hosts use
 * their inventory data address, else their connection address.
 */
export const resolveRealServers = (inv: Inventory, facts: readonly DirectorFacts[]): RealServer[] =>
  realServerNames(inv).map((name) => {
    const fact = facts.find((f) => f.name === name);
    const host = hostByName(inv, name);
    const address = fact?.address ?? host?.dataAddress ?? host?.connection.address;
    if (address === undefined) throw new Error(`real server ${name} is not an inventory host`);
    return { name, address };
  });

/** MACs compare case-insensitively; iptables 1.8 prints them lower case. */
export const normaliseMac = (mac: string): string => mac.toLowerCase();
