// `lvsplay apply` (and `audit`, which is apply in check mode whose exit code reports drift).
import { EventBus } from "../../engine/events.js";
import { runPlaybook } from "../../engine/run.js";
import { PatternError, selectHosts } from "../../inventory/pattern.js";
import { SshConnector } from "../../transport/ssh.js";
import { type ExitCode, exitCodeFor } from "../exit-codes.js";
import { loadInputs, sshConfigChoice } from "../load-inputs.js";
import { attachRenderer } from "../output.js";

export interface ApplyFlags {
  /** -F: ssh_config file, or "none". */
  readonly sshConfig?: string;
  readonly playbook?: string;
  readonly check?: boolean;
  readonly diff?: boolean;
  readonly limit?: string;
  readonly tags?: string;
  readonly forks: number;
  readonly json?: boolean;
  readonly plain?: boolean;
  readonly acceptNewHostKeys?: boolean;
  readonly maxFailPercent: number;
}

export async function applyCommand(inventoryFile: string, flags: ApplyFlags): Promise<ExitCode> {
  const { inventory, playbook, registry } = await loadInputs(inventoryFile, {
    playbook: flags.playbook,
    sshConfig: sshConfigChoice(flags.sshConfig),
  });
  // A --limit that selects nothing is a typo, not a successful run.
  if (flags.limit !== undefined && selectHosts(inventory, flags.limit).length === 0) {
    throw new PatternError(`--limit ${JSON.stringify(flags.limit)} matches no host`);
  }
  const events = new EventBus();
  await attachRenderer(events, flags);
  const connector = new SshConnector(inventory, {
    acceptNewHostKeys: flags.acceptNewHostKeys ?? false,
    // Commands that set no limit of their own still never hang a run.
    defaultTimeoutSec: 300,
  });
  const check = flags.check ?? false;
  const outcome = await runPlaybook({
    inventory,
    playbook,
    registry,
    connector,
    events,
    options: {
      check,
      forks: flags.forks,
      maxFailPercent: flags.maxFailPercent,
      ...(flags.limit ? { limit: flags.limit } : {}),
      ...(flags.tags
        ? {
            tags: flags.tags
              .split(",")
              .map((t) => t.trim())
              .filter(Boolean),
          }
        : {}),
    },
  });
  await connector.closeAll();
  return exitCodeFor(outcome, { check });
}
