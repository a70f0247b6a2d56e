// `lvsplay inventory import ANSIBLE_INVENTORY [--map directors=GROUP,…]`: prints
// an lvsplay inventory made from an Ansible one (INI or YAML, with group_vars/
// and host_vars/), with comments on what was mapped and what was not. The
// output is checked by lvsplay's own inventory loader before it is printed.
import { loadAnsibleInventory } from "../../ansible/load.js";
import { ROLES, type Role, toLvsplayInventory } from "../../ansible/to-lvsplay.js";
import { ConfigError } from "../../config/problem.js";
import { UsageError } from "../../errors.js";
import { parseInventory } from "../../inventory/load.js";
import { ExitCode } from "../exit-codes.js";

/** `directors=lvs_directors,realservers=web` → role → Ansible group. */
export function parseRoleMap(text: string): Partial<Record<Role, string>> {
  const roles: Partial<Record<Role, string>> = {};
  for (const item of text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [role = "", group = ""] = item.split("=").map((s) => s.trim());
    const known = ROLES.find((r) => r === role);
    if (!known || group === "")
      throw new UsageError(`--map ${item}: expected ROLE=ANSIBLE_GROUP with ROLE one of ${ROLES.join(", ")}`);
    if (roles[known] !== undefined) throw new UsageError(`--map: ${known} is mapped twice`);
    roles[known] = group;
  }
  return roles;
}

export function inventoryImportCommand(source: string, flags: { map?: string }): ExitCode {
  const roles = flags.map === undefined ? undefined : parseRoleMap(flags.map);
  const inventory = loadAnsibleInventory(source);
  for (const [role, group] of Object.entries(roles ?? {})) {
    if (!inventory.groups.has(group))
      throw new UsageError(`--map ${role}=${group}: the Ansible inventory has no group ${group}`);
  }
  const command = [
    "lvsplay inventory import",
    source,
    ...(flags.map === undefined ? [] : ["--map", flags.map]),
  ].join(" ");
  const text = toLvsplayInventory(inventory, { ...(roles ? { roles } : {}), command });
  try {
    // Whatever we print must load: ssh_config and DNS are left for the run that uses it.
    parseInventory(text, "imported-inventory.yaml", { sshConfig: { kind: "none" } });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new Error(`the imported inventory does not load (a bug in the importer): ${error.message}`);
  }
  process.stdout.write(text);
  return ExitCode.ok;
}
