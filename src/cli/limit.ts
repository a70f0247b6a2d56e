// --limit for every command that contacts hosts: a pattern that names nothing
// (or nothing that exists) is a typo, refused with what the inventory has.
import type { Host, Inventory } from "../inventory/model.js";
import { PatternError, selectHosts } from "../inventory/pattern.js";

const known = (inv: Inventory): string =>
  `hosts: ${inv.hosts.map((h) => h.name).join(", ")}; groups: ${Object.keys(inv.groups).sort().join(", ") || "(none)"}`;

/** The hosts --limit selects (all without it); exit 1 naming what exists when it selects none. */
export function resolveLimit(inventory: Inventory, pattern: string | undefined): Host[] {
  if (pattern === undefined) return [...inventory.hosts];
  let hosts: Host[];
  try {
    hosts = selectHosts(inventory, pattern);
  } catch (error) {
    if (error instanceof PatternError)
      throw new PatternError(`--limit: ${error.message}; ${known(inventory)}`);
    throw error;
  }
  if (hosts.length === 0)
    throw new PatternError(`--limit ${JSON.stringify(pattern)} matches no host; ${known(inventory)}`);
  return hosts;
}
