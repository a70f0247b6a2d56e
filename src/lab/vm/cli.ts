// `lvsplay … vm up|down|exec`: the real-IPVS tier on the command line. The lead
// attaches it where it fits, e.g. registerVmCommands(labCommand).
import { resolve } from "node:path";
import type { Command } from "commander";
import { setExitCode } from "../../cli/exit-status.js";
import { UserError } from "../../errors.js";
import { errorMessage } from "../../util/error-message.js";
import { vmError } from "../errors.js";

// Loaded on use: every other command would otherwise pay for the VM code.
const guest = () => import("./guest.js");

import { repoRoot } from "./paths.js";

interface VmCliOptions {
  stateDir?: string;
}

/** Default state dir: $LVSPLAY_VM_DIR, else <repo>/.cache/vm/state (git-ignored, beside the kernel cache). */
function stateDirOf(opts: VmCliOptions): string {
  return resolve(opts.stateDir ?? process.env["LVSPLAY_VM_DIR"] ?? `${repoRoot()}/.cache/vm/state`);
}

/**
 * Every failure of a VM verb is a lab failure: one "lvsplay lab vm: …" message
 * and exit 1 (guest logs included where the error carries them), never an
 * internal error.
 */
const vmAction =
  <A extends unknown[]>(fn: (...args: A) => Promise<void>) =>
  async (...args: A): Promise<void> => {
    try {
      await fn(...args);
    } catch (error) {
      throw error instanceof UserError ? error : vmError(errorMessage(error));
    }
  };

export function registerVmCommands(parent: Command): void {
  const vm = parent
    .command("vm")
    .description(
      "the lab inside a QEMU guest running Debian's kernel (real IPVS; software emulation, ~1 min)",
    );
  const stateDirOption = [
    "--state-dir <dir>",
    "VM state dir (default $LVSPLAY_VM_DIR or .cache/vm/state)",
  ] as const;

  vm.command("up")
    .description("boot the guest, run `lab up` inside, write an inventory with hosts at 127.0.0.1:PORT")
    .argument("[topology]", "containerlab topology file", `${repoRoot()}/containerlab/lvs.clab.yml`)
    .option(...stateDirOption)
    .option("--memory <mib>", "guest memory", "2048")
    .option("--cpus <n>", "guest CPUs", "2")
    .action(
      vmAction(async (topology: string, opts: VmCliOptions & { memory: string; cpus: string }) => {
        const up = await (await guest()).vmUp({
          topology,
          stateDir: stateDirOf(opts),
          memoryMb: Number.parseInt(opts.memory, 10),
          cpus: Number.parseInt(opts.cpus, 10),
        });
        process.stdout.write(`inventory: ${up.inventoryFile}\n`);
        for (const f of up.forwards) process.stdout.write(`  ${f.name.padEnd(8)} 127.0.0.1:${f.hostPort}\n`);
      }),
    );

  vm.command("down")
    .description("power the guest off and remove everything `vm up` created")
    .option(...stateDirOption)
    .action(
      vmAction(async (opts: VmCliOptions) => {
        const result = await (await guest()).vmDown({ stateDir: stateDirOf(opts) });
        if (!result) process.stdout.write("no VM is up\n");
      }),
    );

  vm.command("exec")
    .description("run a command in the guest's root namespaces (argv, no shell)")
    .argument("<command...>")
    .option(...stateDirOption)
    .passThroughOptions()
    .action(
      vmAction(async (argv: string[], opts: VmCliOptions) => {
        const r = await (await guest()).vmExec(argv, { stateDir: stateDirOf(opts) });
        process.stdout.write(r.stdout);
        process.stderr.write(r.stderr);
        setExitCode(r.code ?? 255);
      }),
    );
}
