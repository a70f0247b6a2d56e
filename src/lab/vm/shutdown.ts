// Stopping the guest and removing everything vmBoot/vmUp created.
import { rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { agentCall } from "./agent-client.js";
import { defaultLog } from "./boot.js";
import { isOurQemu, waitForExit } from "./qemu-process.js";
import { qmpCommand } from "./qmp.js";
import { readVmState, type VmState } from "./vm-state.js";

export interface VmDownOptions {
  readonly stateDir: string;
  readonly log?: (line: string) => void;
}

export type StopMethod = "poweroff" | "QMP quit" | "SIGKILL" | "not running";

/**
 * Powers the guest off (agent, then QMP quit, then SIGKILL) and removes what
 * vmBoot/vmUp created. Undefined when there was no VM in stateDir.
 */
export async function vmDown(opts: VmDownOptions): Promise<{ stopped: StopMethod; ms: number } | undefined> {
  const log = opts.log ?? defaultLog;
  const stateDir = resolve(opts.stateDir);
  const state = readVmState(stateDir);
  if (!state) return undefined;
  const started = Date.now();
  let stopped: StopMethod = "not running";
  if (isOurQemu(state.pid)) {
    stopped = await stopGuest(state);
    log(`lvsplay vm: guest stopped (${stopped}) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  for (const path of state.createdPaths) rmSync(path, { recursive: true, force: true });
  rmSync(state.vmDir, { recursive: true, force: true });
  if (state.socketDir) rmSync(state.socketDir, { recursive: true, force: true });
  rmSync(join(stateDir, "vm.json"), { force: true });
  if (state.createdStateDir) rmSync(stateDir, { recursive: true, force: true });
  return { stopped, ms: Date.now() - started };
}

// Each step is a fallback for a guest that no longer responds, not for a slow
// one: an emulated guest on a busy machine may need a minute to power off.
async function stopGuest(state: VmState): Promise<StopMethod> {
  try {
    await agentCall(state.agent, "/poweroff", {}, 60_000);
    if (await waitForExit(state.pid, 180_000)) return "poweroff";
  } catch {
    // Agent gone or hung: fall through to QEMU itself.
  }
  try {
    await qmpCommand(state.qmpSocket, "quit", undefined, 30_000);
    if (await waitForExit(state.pid, 60_000)) return "QMP quit";
  } catch {
    // Monitor unreachable: last resort below.
  }
  if (isOurQemu(state.pid)) process.kill(state.pid, "SIGKILL");
  if (!(await waitForExit(state.pid, 60_000))) throw new Error(`QEMU pid ${state.pid} survived SIGKILL`);
  return "SIGKILL";
}
