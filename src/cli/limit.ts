// --limit for every command that contacts hosts: a pattern that names nothing
// (or nothing that exists) is a typo, refused with what the inventory has.
import { quoteInput } from "../errors.js";
import type { Host, Inventory } from "../inventory/model.js";
import { PatternError, selectHosts } from "../inventory/pattern.js";

/** At most this many names are listed: an inventory of thousands would drown the message. */
const MAX_LISTED = 20;

const list = (names: readonly string[]): string =>
  names.length > MAX_LISTED
    ? `${names.slice(0, MAX_LISTED).join(", ")}, … (${names.length - MAX_LISTED} more)`
    : names.join(", ");

const known = (inv: Inventory): string =>
  `hosts: ${list(inv.hosts.map((h) => h.name))}; groups: ${list(Object.keys(inv.groups).sort()) || "(none)"}`;

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
    throw new PatternError(`--limit ${quoteInput(pattern)} matches no host; ${known(inventory)}`);
  return hosts;
}
