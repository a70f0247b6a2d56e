// An Ansible inventory as its files state it, before variables are merged:
// groups with their own hosts, host variables, group variables and children.
// Both the INI and the YAML format parse into this.

import { UserError } from "../errors.js";

export type Vars = Record<string, unknown>;

export interface SourceGroup {
  /** Hosts listed directly in this group, with the variables given there. */
  readonly hosts: Map<string, Vars>;
  readonly vars: Vars;
  readonly children: Set<string>;
}

export interface InventorySource {
  readonly groups: Map<string, SourceGroup>;
  /** Hosts in file order (first mention). */
  readonly hostOrder: string[];
}

/** A problem with the Ansible inventory being imported (exit 1, nothing written). */
export class AnsibleInventoryError extends UserError {
  override readonly name = "AnsibleInventoryError";
  constructor(message: string) {
    super("invalid-input", message, "lvsplay inventory import", "");
  }
}

export function emptySource(): InventorySource {
  return { groups: new Map(), hostOrder: [] };
}

export function groupOf(source: InventorySource, name: string): SourceGroup {
  let group = source.groups.get(name);
  if (!group) {
    group = { hosts: new Map(), vars: {}, children: new Set() };
    source.groups.set(name, group);
  }
  return group;
}

export function addHost(source: InventorySource, group: string, host: string, vars: Vars): void {
  const g = groupOf(source, group);
  g.hosts.set(host, { ...(g.hosts.get(host) ?? {}), ...vars });
  if (!source.hostOrder.includes(host)) source.hostOrder.push(host);
}

/**
 * Host name patterns: `web[01:03].example`, `db-[a:c]`, `n[1:10:2]` (Ansible's
 * ranges; leading zeros keep their width).
 */
export function expandHostPattern(pattern: string): string[] {
  const m = /^(.*?)\[([^:\]]+):([^:\]]+)(?::(\d+))?\](.*)$/.exec(pattern);
  if (!m) return [pattern];
  const [, head = "", from = "", to = "", stepText, tail = ""] = m;
  const step = stepText === undefined ? 1 : Number(stepText);
  const names: string[] = [];
  if (/^\d+$/.test(from) && /^\d+$/.test(to)) {
    const width = from.startsWith("0") ? from.length : 0;
    for (let i = Number(from); i <= Number(to); i += step) names.push(String(i).padStart(width, "0"));
  } else if (/^[a-z]$/i.test(from) && /^[a-z]$/i.test(to)) {
    for (let c = from.charCodeAt(0); c <= to.charCodeAt(0); c += step) names.push(String.fromCharCode(c));
  } else {
    throw new AnsibleInventoryError(`host range ${pattern}: expected [start:end] of numbers or letters`);
  }
  return names.flatMap((n) => expandHostPattern(`${head}${n}${tail}`));
}
