// `lvsplay lab …`: the integration lab commands. Wired into the main CLI by
// registerLabCommands(program).

import { spawnSync } from "node:child_process";
import type { Command } from "commander";
import { setExitCode } from "../cli/exit-status.js";
import { ExitCode } from "../errors.js";
import { registerVmCommands } from "./vm/cli.js";

// Loaded on use, like the main commands: `lvsplay apply` never pays for the lab.
const lab = () => import("./index.js");

interface StateDirOption {
  stateDir?: string;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

// Lab failures (LabError, TopologyError) reach cli/main.ts's one catch, which
// prints one message and exits 1; statuses other than failures go through setExitCode.
const action = <A extends unknown[]>(fn: (...args: A) => Promise<void>) => fn;

export function registerLabCommands(program: Command): void {
  const labCommand = program
    .command("lab")
    .description("integration lab: a containerlab topology realised as Linux namespace hosts (root only)")
    .enablePositionalOptions();
  // The real-IPVS tier: the same topology inside a QEMU guest with Debian's kernel.
  registerVmCommands(labCommand);
  const stateDirOption = ["--state-dir <dir>", "lab state dir (default $LVSPLAY_LAB_DIR or .lab/)"] as const;

  labCommand
    .command("up")
    .description("build the lab (idempotent: succeeds at once when the same lab is up and healthy)")
    .argument("[topology]", "containerlab topology file (default containerlab/lvs.clab.yml)")
    .option(...stateDirOption)
    .action(
      action(async (topology: string | undefined, opts: StateDirOption) => {
        const result = await (await lab()).labUp({
          ...(topology ? { topologyFile: topology } : {}),
          ...opts,
        });
        const what =
          result.outcome === "already-up" ? "already up and healthy" : `up in ${seconds(result.durationMs)}`;
        process.stdout.write(`lab ${result.topology.name} ${what}\n`);
        for (const h of result.topology.hosts)
          process.stdout.write(
            `  ${h.name.padEnd(8)} ${h.address.padEnd(15)} ${h.mac}  ${h.groups.join(",")}\n`,
          );
        process.stdout.write(`inventory: ${result.inventoryFile}\n`);
        if (result.vrrpOnly)
          process.stdout.write("note: this kernel has no IPVS; the inventory sets vrrp_only: true\n");
      }),
    );

  labCommand
    .command("down")
    .description("remove everything `lab up` created (also after a failed up); nothing up is success")
    .option(...stateDirOption)
    .action(
      action(async (opts: StateDirOption) => {
        const result = await (await lab()).labDown(opts);
        if (!result.wasUp) process.stdout.write(`no lab is up (${result.stateDir})\n`);
        else
          process.stdout.write(
            `lab down in ${seconds(result.durationMs)}: removed ${result.removed.length} things\n`,
          );
      }),
    );

  labCommand
    .command("status")
    .description("per node: running, sshd reachable, address")
    .option(...stateDirOption)
    .option("--json", "machine-readable output")
    .action(
      action(async (opts: StateDirOption & { json?: boolean }) => {
        const status = await (await lab()).labStatus(opts);
        if (opts.json) process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
        else if (!status.up) process.stdout.write(`no lab is up (${status.stateDir})\n`);
        else {
          process.stdout.write(
            `lab ${status.lab}${status.complete ? "" : " (half-built: run `lvsplay lab down`)"}\n`,
          );
          for (const n of status.nodes)
            process.stdout.write(
              `  ${n.name.padEnd(8)} ${n.address.padEnd(15)} ${n.running ? "running" : "stopped"}  sshd ${n.sshd ? "ok" : "down"}\n`,
            );
        }
        // Like `systemctl status`: 0 only for a lab that is up and healthy, so scripts can
        // `lvsplay lab status || lvsplay lab up`; 3 when none is up, half-built or a node is down.
        const healthy = status.up && status.complete && status.nodes.every((n) => n.running && n.sshd);
        if (!healthy) setExitCode(ExitCode.hostsFailed);
      }),
    );

  labCommand
    .command("ssh")
    .description("ssh into a lab node with the lab's key and known_hosts (strict host key checking)")
    .argument("<node>")
    .argument("[command...]", "command to run (default: interactive shell)")
    .option(...stateDirOption)
    // Remote command options (`ip -br a`) belong to the command: passThrough keeps them in
    // order when the root program has positional options, allowUnknown when it does not.
    .passThroughOptions()
    .allowUnknownOption()
    .action(
      action(async (node: string, command: string[], opts: StateDirOption) => {
        const [program, ...args] = (await lab()).labSshArgv(node, command, opts);
        const result = spawnSync(program!, args, { stdio: "inherit" });
        setExitCode(result.status ?? 255);
      }),
    );

  labCommand
    .command("restart")
    .description("reboot a node: kill its processes and netns, keep its disk, boot it again")
    .argument("<node>")
    .option(...stateDirOption)
    .action(
      action(async (node: string, opts: StateDirOption) => {
        const result = await (await lab()).labRestart(node, opts);
        process.stdout.write(`${node} restarted in ${seconds(result.durationMs)}\n`);
      }),
    );
}
