// `lvsplay apply` (and `audit`, which is apply in check mode whose exit code reports drift).
import { parseSerial } from "../../engine/batches.js";
import { EventBus } from "../../engine/events.js";
import { ownerLine, takeClusterLock } from "../../engine/lock.js";
import { runPlaybook } from "../../engine/run.js";
import { checkTags, splitTags, type TagFilter } from "../../engine/select.js";
import { drainHooks } from "../../operations/lvs/drain.js";
import { DIRECTORS_ONE_AT_A_TIME, rollingDefault } from "../../operations/lvs/rolling-default.js";
import { SshConnector } from "../../transport/ssh.js";
import { type ExitCode, exitCodeFor } from "../exit-codes.js";
import { trapInterrupts } from "../interrupt.js";
import { resolveLimit } from "../limit.js";
import { listHosts, listTasks } from "../listing.js";
import { loadInputs, sshConfigChoice } from "../load-inputs.js";
import { attachRenderer } from "../output.js";
import { openRunLog, type RunLogFlags } from "../run-log.js";

export interface ApplyFlags extends RunLogFlags {
  /** -F: ssh_config file, or "none". */
  readonly sshConfig?: string;
  readonly playbook?: string;
  readonly check?: boolean;
  readonly diff?: boolean;
  readonly limit?: string;
  readonly tags?: string;
  readonly skipTags?: string;
  readonly listHosts?: boolean;
  readonly listTasks?: boolean;
  readonly serial?: string;
  /** commander's --no-drain: false → change VIP holders in place. */
  readonly drain?: boolean;
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
  const hosts = resolveLimit(inventory, flags.limit);
  const filter: TagFilter = {
    ...(flags.tags !== undefined ? { tags: splitTags(flags.tags) ?? [] } : {}),
    ...(flags.skipTags !== undefined ? { skipTags: splitTags(flags.skipTags) ?? [] } : {}),
  };
  checkTags(playbook, filter);
  // --serial auto: directors one at a time when one holds a VIP, else all at once (decided when the run starts).
  const auto = flags.serial === "auto";
  const serial = flags.serial !== undefined && !auto ? parseSerial(flags.serial) : undefined;
  // A rolling apply drains VIP holders (unless --no-drain); without --serial hosts change in place.
  const rolling = flags.serial !== undefined && inventory.lvs !== undefined;
  if (flags.listHosts || flags.listTasks) {
    const listing = {
      inventory,
      playbook,
      registry,
      hosts,
      filter,
      serial: flags.check ? undefined : serial,
      ...(!flags.check && auto && inventory.lvs ? { servingSerial: DIRECTORS_ONE_AT_A_TIME } : {}),
    };
    const lines = [
      ...(flags.listHosts ? listHosts(listing) : []),
      ...(flags.listTasks ? listTasks(listing) : []),
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
    return 0;
  }
  const events = new EventBus();
  await attachRenderer(events, flags);
  const log = openRunLog(flags, inventory);
  log.follow(events, flags.diff ?? false);
  const ssh = new SshConnector(inventory, {
    acceptNewHostKeys: flags.acceptNewHostKeys ?? false,
    // Commands that set no limit of their own still never hang a run.
    defaultTimeoutSec: 300,
  });
  const connector = log.wrap(ssh);
  const check = flags.check ?? false;
  // Check mode changes nothing: a signal simply ends it, and it takes no lock.
  const interrupts = check ? undefined : trapInterrupts(events);
  const owner = ownerLine(`lvsplay apply ${inventoryFile}`);
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
      serial,
      ...(flags.limit ? { limit: flags.limit } : {}),
      ...filter,
    },
    ...(interrupts
      ? {
          control: interrupts,
          hooks: {
            beforeRun: (ctx) => takeClusterLock(ctx, owner, flags.forks),
            ...(auto && inventory.lvs ? { defaultSerial: rollingDefault(inventory, flags.forks) } : {}),
            ...(rolling && flags.drain !== false ? drainHooks(inventory, { control: interrupts }) : {}),
          },
        }
      : {}),
  }).finally(() => interrupts?.untrap());
  await ssh.closeAll();
  log.close();
  return interrupts?.exitCode() ?? exitCodeFor(outcome, { check });
}
