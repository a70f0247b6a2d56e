// Loads and validates everything a run needs before any host is touched.
// Every problem is collected and reported with file:line:col.
import { fileURLToPath } from "node:url";
import { ConfigError, type Problem } from "../config/problem.js";
import { preflight } from "../engine/preflight.js";
import { loadInventory } from "../inventory/load.js";
import type { Inventory } from "../inventory/model.js";
import { resolveAddresses } from "../inventory/resolve-addresses.js";
import { defaultRegistry } from "../operations/all.js";
import type { OperationRegistry } from "../operations/registry.js";
import { loadPlaybook } from "../playbook/load.js";
import type { Playbook } from "../playbook/model.js";
import { validateTemplateRefs } from "../playbook/template.js";
import type { SshConfigChoice } from "../transport/ssh-config.js";

/** The LVS playbook shipped with the package (dist/cli → ../../playbooks). */
export const DEFAULT_PLAYBOOK = fileURLToPath(new URL("../../playbooks/lvs-ha.yaml", import.meta.url));

export interface Inputs {
  readonly inventory: Inventory;
  readonly playbook: Playbook;
  readonly registry: OperationRegistry;
}

export interface InputOptions {
  readonly playbook?: string | undefined;
  /** The CLI's -F: wins over the inventory's ssh_config key. */
  readonly sshConfig?: SshConfigChoice | undefined;
}

/** `-F FILE` / `-F none` as a choice (undefined: the inventory's key or OpenSSH's defaults). */
export function sshConfigChoice(flag: string | undefined): SshConfigChoice | undefined {
  if (flag === undefined) return undefined;
  return flag === "none" ? { kind: "none" } : { kind: "file", file: flag };
}

/** The inventory with ssh_config applied and DNS names resolved (once per run). */
export async function loadRunInventory(
  inventoryFile: string,
  sshConfig?: SshConfigChoice,
): Promise<Inventory> {
  return resolveAddresses(loadInventory(inventoryFile, sshConfig ? { sshConfig } : {}));
}

export async function loadInputs(inventoryFile: string, options: InputOptions = {}): Promise<Inputs> {
  const playbookFile = options.playbook ?? DEFAULT_PLAYBOOK;
  const registry = defaultRegistry();
  const problems: Problem[] = [];
  let inventory: Inventory | undefined;
  let playbook: Playbook | undefined;
  try {
    inventory = await loadRunInventory(inventoryFile, options.sshConfig);
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
