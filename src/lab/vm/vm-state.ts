// vm.json: everything `down` needs to stop the guest and remove what `up` made.
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { errorMessage } from "../../util/error-message.js";
import { vmError } from "../errors.js";

export interface HostForward {
  /** Who the forward is for (a lab host name, or "agent"). */
  readonly name: string;
  /** 127.0.0.1 port on the machine. */
  readonly hostPort: number;
  /** Port on the guest's user-net address that QEMU delivers to. */
  readonly guestPort: number;
  /** Final destination inside the guest (lab host address and port), if DNAT'd further. */
  readonly target?: { readonly address: string; readonly port: number };
}

export interface VmState {
  readonly pid: number;
  readonly stateDir: string;
  /** vmUp made the state dir itself, so vmDown removes it entirely. */
  readonly createdStateDir: boolean;
  readonly vmDir: string;
  readonly qmpSocket: string;
  /** Extra private folder made for the QMP socket when the state path is too long for one. */
  readonly socketDir?: string;
  readonly consoleLog: string;
  readonly agent: { readonly port: number; readonly token: string };
  readonly kernelVersion: string;
  readonly bootMs: number;
  readonly forwards: readonly HostForward[];
  /** Files vmUp wrote outside vmDir (inventory, known_hosts, lab state dir). */
  readonly createdPaths: readonly string[];
}

export function vmStateFile(stateDir: string): string {
  return join(stateDir, "vm.json");
}

export function readVmState(stateDir: string): VmState | undefined {
  const file = vmStateFile(stateDir);
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, "utf8")) as VmState;
  } catch (error) {
    throw vmError(`${file} is not a VM state record (${errorMessage(error)}); remove it by hand`);
  }
}

export function writeVmState(state: VmState): void {
  const file = vmStateFile(state.stateDir);
  // Holds the agent token: owner-only, and replaced atomically.
  writeFileSync(`${file}.tmp`, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

export function requireVmState(stateDir: string): VmState {
  const state = readVmState(stateDir);
  if (!state) throw vmError(`no VM is up in ${stateDir} (no vm.json); run \`lvsplay lab vm up\``);
  return state;
}
