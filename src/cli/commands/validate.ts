// `lvsplay validate`: every check that needs no host.
import { ExitCode } from "../exit-codes.js";
import { loadInputs } from "../load-inputs.js";

export function validateCommand(inventoryFile: string, playbookFile?: string): ExitCode {
  const { inventory, playbook } = loadInputs(inventoryFile, playbookFile);
  const tasks = playbook.stages.reduce((n, s) => n + s.tasks.length, 0);
  process.stdout.write(
    `${inventoryFile}: ${inventory.hosts.length} hosts, ${inventory.lvs?.services.length ?? 0} services; ` +
      `${playbook.file}: ${playbook.stages.length} stages, ${tasks} tasks — valid\n`,
  );
  return ExitCode.ok;
}
