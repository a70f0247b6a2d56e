// Ansible's YAML inventory format: top-level groups (usually `all`), each with
// optional `hosts` (name → variables), `vars` and `children` (more groups).
import {
  AnsibleInventoryError,
  addHost,
  expandHostPattern,
  groupOf,
  type InventorySource,
  type Vars,
} from "./source.js";
import { isMapping, parseVarsYaml } from "./vars-file.js";

export function parseYamlInventory(text: string, file: string, source: InventorySource): void {
  const doc = parseVarsYaml(text, file);
  if (doc === null || doc === undefined) return;
  if (!isMapping(doc)) throw new AnsibleInventoryError(`${file}: expected a mapping of groups`);
  for (const [name, body] of Object.entries(doc)) addGroup(name, body, file, source);
}

function addGroup(name: string, body: unknown, file: string, source: InventorySource): void {
  const group = groupOf(source, name);
  if (body === null || body === undefined) return;
  if (!isMapping(body))
    throw new AnsibleInventoryError(`${file}: group ${name}: expected a mapping (hosts, vars, children)`);
  for (const key of Object.keys(body)) {
    if (!["hosts", "vars", "children"].includes(key))
      throw new AnsibleInventoryError(
        `${file}: group ${name}: unknown key ${key} (expected hosts, vars, children)`,
      );
  }
  const { hosts, vars, children } = body;
  if (vars !== undefined && vars !== null) {
    if (!isMapping(vars)) throw new AnsibleInventoryError(`${file}: group ${name}: vars must be a mapping`);
    Object.assign(group.vars, vars);
  }
  if (hosts !== undefined && hosts !== null) {
    if (!isMapping(hosts)) throw new AnsibleInventoryError(`${file}: group ${name}: hosts must be a mapping`);
    for (const [pattern, hostVars] of Object.entries(hosts)) {
      const v: Vars = isMapping(hostVars) ? hostVars : {};
      for (const host of expandHostPattern(pattern)) addHost(source, name, host, v);
    }
  }
  if (children !== undefined && children !== null) {
    if (!isMapping(children))
      throw new AnsibleInventoryError(`${file}: group ${name}: children must be a mapping`);
    for (const [child, childBody] of Object.entries(children)) {
      group.children.add(child);
      addGroup(child, childBody, file, source);
    }
  }
}
