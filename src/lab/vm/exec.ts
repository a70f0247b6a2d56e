// Running commands in the guest through its agent.
import { resolve } from "node:path";
import type { CommandResult } from "../../transport/types.js";
import { agentExec } from "./agent-client.js";
import { requireVmState } from "./vm-state.js";

export interface VmExecOptions {
  readonly stateDir: string;
  readonly stdin?: string;
  readonly timeoutSec?: number;
}

/** Runs argv in the guest's root namespaces (as root); never through a shell. */
export function vmExec(argv: readonly string[], opts: VmExecOptions): Promise<CommandResult> {
  const state = requireVmState(resolve(opts.stateDir));
  return agentExec(state.agent, {
    argv,
    ...(opts.stdin !== undefined ? { stdin: opts.stdin } : {}),
    ...(opts.timeoutSec !== undefined ? { timeoutSec: opts.timeoutSec } : {}),
  });
}

/** Like vmExec, but a non-zero exit is an error carrying the output. */
export async function vmExecOk(argv: readonly string[], opts: VmExecOptions): Promise<CommandResult> {
  const r = await vmExec(argv, opts);
  if (r.code !== 0) throw new Error(`in guest: ${argv.join(" ")} → ${r.code}\n${r.stderr}${r.stdout}`);
  return r;
}
