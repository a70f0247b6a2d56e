// `lvsplay validate`: every check that needs no host.
import { ExitCode } from "../exit-codes.js";
import { loadInputs, sshConfigChoice } from "../load-inputs.js";

export async function validateCommand(
  inventoryFile: string,
  flags: { playbook?: string; sshConfig?: string },
): Promise<ExitCode> {
  const { inventory, playbook } = await loadInputs(inventoryFile, {
    playbook: flags.playbook,
    sshConfig: sshConfigChoice(flags.sshConfig),
  });
  const tasks = playbook.stages.reduce((n, s) => n + s.tasks.length, 0);
  process.stdout.write(
    `${inventoryFile}: ${inventory.hosts.length} hosts, ${inventory.lvs?.services.length ?? 0} services; ` +
      `${playbook.file}: ${playbook.stages.length} stages, ${tasks} tasks — valid\n`,
  );
  return ExitCode.ok;
}
