// Reads an Ansible inventory (an INI or YAML file, or a folder of them) with
// its group_vars/ and host_vars/ (files or folders of files) and merges every
// host's variables with Ansible's precedence: group variables from the
// inventory (shallower groups first), then group_vars/ files (same order),
// then the host's own inventory variables, then host_vars/ (as
// `ansible-inventory --list` reports them).
import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { MAX_INPUT_BYTES } from "../config/yaml-limits.js";
import { FileReadError, readRegularFile } from "../util/read-regular-file.js";
import { parseIni } from "./ini.js";
import { AnsibleInventoryError, emptySource, groupOf, type InventorySource, type Vars } from "./source.js";
import { isMapping, parseVarsYaml } from "./vars-file.js";
import { parseYamlInventory } from "./yaml-inventory.js";

export interface AnsibleHost {
  readonly name: string;
  /** Every variable, merged as Ansible merges them. */
  readonly vars: Vars;
  /** Every group the host is in (ancestors too, `all` and `ungrouped` left out), shallow first. */
  readonly groups: readonly string[];
}

export interface AnsibleGroup {
  /** Hosts listed in the group itself. */
  readonly hosts: readonly string[];
  readonly children: readonly string[];
}

export interface AnsibleInventory {
  readonly path: string;
  /** Where group_vars/ and host_vars/ are looked for. */
  readonly baseDir: string;
  readonly hosts: readonly AnsibleHost[];
  readonly groups: ReadonlyMap<string, AnsibleGroup>;
  /** Inventory, group_vars and host_vars files read. */
  readonly files: readonly string[];
}

/** File names Ansible's inventory loader skips in a folder. */
const IGNORED = /(~|\.orig|\.bak|\.ini~|\.cfg|\.retry|\.pyc|\.pyo|\.md|\.txt)$/;
const YAML_EXT = /\.(ya?ml|json)$/;

export function loadAnsibleInventory(inventoryPath: string): AnsibleInventory {
  const absolute = path.resolve(inventoryPath);
  const files: string[] = [];
  const source = emptySource();
  let baseDir: string;
  if (isDir(absolute)) {
    baseDir = absolute;
    for (const name of readdirSync(absolute).sort()) {
      const file = path.join(absolute, name);
      if (
        name.startsWith(".") ||
        name === "group_vars" ||
        name === "host_vars" ||
        IGNORED.test(name) ||
        isDir(file)
      )
        continue;
      parseInventoryFile(file, source, files);
    }
  } else {
    baseDir = path.dirname(absolute);
    parseInventoryFile(absolute, source, files);
  }
  const all = groupOf(source, "all");
  groupOf(source, "ungrouped");
  // Groups nobody lists as a child hang under all; hosts in no group are ungrouped.
  const childNames = new Set([...source.groups.values()].flatMap((g) => [...g.children]));
  for (const name of source.groups.keys())
    if (name !== "all" && !childNames.has(name)) all.children.add(name);
  for (const host of source.hostOrder) {
    const inSome = [...source.groups.entries()].some(
      ([n, g]) => n !== "all" && n !== "ungrouped" && g.hosts.has(host),
    );
    const ungrouped = groupOf(source, "ungrouped");
    if (!inSome && !ungrouped.hosts.has(host)) ungrouped.hosts.set(host, {});
  }
  const depth = groupDepths(source);
  const groupFiles = new Map<string, Vars>();
  for (const name of source.groups.keys())
    groupFiles.set(name, varsFor(path.join(baseDir, "group_vars"), name, files));

  const hosts = source.hostOrder.map((name): AnsibleHost => {
    const direct = [...source.groups.entries()].filter(([, g]) => g.hosts.has(name)).map(([n]) => n);
    const groups = withAncestors(direct, source);
    const ordered = [...groups].sort(
      (a, b) => (depth.get(a) ?? 0) - (depth.get(b) ?? 0) || a.localeCompare(b),
    );
    const vars: Vars = {};
    for (const g of ordered) Object.assign(vars, source.groups.get(g)?.vars ?? {});
    for (const g of ordered) Object.assign(vars, groupFiles.get(g) ?? {});
    // The host's own inventory variables, in the order its lines appeared.
    for (const g of direct) Object.assign(vars, source.groups.get(g)?.hosts.get(name) ?? {});
    Object.assign(vars, varsFor(path.join(baseDir, "host_vars"), name, files));
    return { name, vars, groups: ordered.filter((g) => g !== "all" && g !== "ungrouped") };
  });
  const groups = new Map<string, AnsibleGroup>(
    [...source.groups.entries()].map(([n, g]) => [
      n,
      { hosts: [...g.hosts.keys()], children: [...g.children] },
    ]),
  );
  return { path: absolute, baseDir, hosts, groups, files };
}

function parseInventoryFile(file: string, source: InventorySource, files: string[]): void {
  const text = readText(file);
  files.push(file);
  if (YAML_EXT.test(file)) parseYamlInventory(text, file, source);
  else parseIni(text, file, source);
}

/** Distance from `all` along children links (the deepest path counts, as in Ansible). */
function groupDepths(source: InventorySource): Map<string, number> {
  const depth = new Map<string, number>([["all", 0]]);
  const visit = (name: string, d: number, seen: Set<string>) => {
    if (seen.has(name)) throw new AnsibleInventoryError(`group ${name} is its own descendant`);
    if ((depth.get(name) ?? -1) < d) depth.set(name, d);
    for (const child of source.groups.get(name)?.children ?? [])
      visit(child, d + 1, new Set([...seen, name]));
  };
  visit("all", 0, new Set());
  return depth;
}

function withAncestors(groups: readonly string[], source: InventorySource): Set<string> {
  const out = new Set<string>(["all"]);
  const add = (name: string) => {
    if (out.has(name)) return;
    out.add(name);
    for (const [parent, g] of source.groups) if (g.children.has(name)) add(parent);
  };
  for (const g of groups) add(g);
  return out;
}

/** group_vars/NAME or host_vars/NAME: a file (no extension, .yml, .yaml, .json) or a folder of them. */
function varsFor(dir: string, name: string, files: string[]): Vars {
  const vars: Vars = {};
  const candidates = [name, `${name}.yml`, `${name}.yaml`, `${name}.json`].map((n) => path.join(dir, n));
  for (const candidate of candidates) {
    if (isDir(candidate)) {
      for (const file of filesUnder(candidate)) Object.assign(vars, readVarsFile(file, files));
    } else if (isFile(candidate)) Object.assign(vars, readVarsFile(candidate, files));
  }
  return vars;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => !n.startsWith(".") && !IGNORED.test(n))
    .sort()
    .flatMap((n) => {
      const p = path.join(dir, n);
      return isDir(p) ? filesUnder(p) : [p];
    });
}

function readVarsFile(file: string, files: string[]): Vars {
  const data = parseVarsYaml(readText(file), file);
  files.push(file);
  if (data === null || data === undefined) return {};
  if (!isMapping(data)) throw new AnsibleInventoryError(`${file}: expected a mapping of variables`);
  return data;
}

function readText(file: string): string {
  try {
    // Bounded and non-blocking: a FIFO or device among the inventory files must not hang the import.
    return readRegularFile(file, MAX_INPUT_BYTES).toString("utf8");
  } catch (error) {
    const why = error instanceof FileReadError ? error.message : String(error);
    throw new AnsibleInventoryError(`cannot read ${file}: ${why}`);
  }
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}
