// Engine tests' fake hosts: each "host" is this machine with its own temp
// folder (vars.dir), plus small builders for tasks and stages. The Host itself
// is the LVS tests' builder (test/lvs/helpers/inventory.ts).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";
import type { Inventory } from "../../../src/inventory/model.js";
import type { Stage, Task } from "../../../src/playbook/model.js";
import { host } from "../../lvs/helpers/inventory.js";

export const pos = { file: "pb.yaml", line: 1, col: 1 };

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Hosts in group "web", each with a temp folder removed after the test. */
export function inventoryOf(names: string[]): { inv: Inventory; dir: Record<string, string> } {
  const dir: Record<string, string> = {};
  const hosts = names.map((n) => {
    dir[n] = mkdtempSync(join(tmpdir(), `lvsplay-engine-${n}-`));
    dirs.push(dir[n]!);
    return { ...host(n, "127.0.0.1", ["web"]), vars: { dir: dir[n]! } };
  });
  return { inv: { file: "inv.yaml", hosts, groups: { web: names }, vars: {} }, dir };
}

export const task = (name: string, op: string, args: unknown, extra: Partial<Task> = {}): Task => ({
  name,
  op,
  args,
  notify: [],
  tags: [],
  pos,
  ...extra,
});

export const stage = (name: string, tasks: readonly Task[], hosts = "all"): Stage => ({
  name,
  hosts,
  tasks,
  tags: [],
  pos,
});
