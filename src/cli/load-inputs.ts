// Loads and validates everything a run needs before any host is touched.
// Every problem is collected and reported with file:line:col.
import { fileURLToPath } from "node:url";
import { ConfigError, type Problem } from "../config/problem.js";
import { preflight } from "../engine/preflight.js";
import { loadInventory } from "../inventory/load.js";
import type { Inventory } from "../inventory/model.js";
import { defaultRegistry } from "../operations/all.js";
import type { OperationRegistry } from "../operations/registry.js";
import { loadPlaybook } from "../playbook/load.js";
import type { Playbook } from "../playbook/model.js";
import { validateTemplateRefs } from "../playbook/template.js";

/** The LVS playbook shipped with the package (dist/cli → ../../playbooks). */
export const DEFAULT_PLAYBOOK = fileURLToPath(new URL("../../playbooks/lvs-ha.yaml", import.meta.url));

export interface Inputs {
  readonly inventory: Inventory;
  readonly playbook: Playbook;
  readonly registry: OperationRegistry;
}

export function loadInputs(inventoryFile: string, playbookFile = DEFAULT_PLAYBOOK): Inputs {
  const registry = defaultRegistry();
  const problems: Problem[] = [];
  let inventory: Inventory | undefined;
  let playbook: Playbook | undefined;
  try {
    inventory = loadInventory(inventoryFile);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  try {
    playbook = loadPlaybook(playbookFile, { knownOps: new Set(registry.keys()) });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  if (inventory && playbook) {
    try {
      validateTemplateRefs(playbook, inventory);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
    }
    if (problems.length === 0) {
      for (const p of preflight(inventory, playbook, registry)) {
        problems.push({ file: p.pos.file, line: p.pos.line, col: p.pos.col, path: "", message: p.message });
      }
    }
  }
  if (problems.length > 0 || !inventory || !playbook) throw new ConfigError(problems);
  return { inventory, playbook, registry };
}
