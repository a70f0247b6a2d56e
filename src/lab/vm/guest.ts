// The real-IPVS tier's public face: vmUp boots Debian's kernel under QEMU,
// runs the namespace lab inside the guest and writes an inventory the machine
// can use (every lab host at 127.0.0.1 on a forwarded port); vmDown undoes it.
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { vmError } from "../errors.js";
import { loadTopology } from "../topology.js";
import { type VmBootOptions, vmBoot } from "./boot.js";
import { vmExecOk } from "./exec.js";
import { vmForward, vmRecordCreated } from "./forward.js";
import { labHosts, machineInventory, machineKnownHosts } from "./lab-inventory.js";
import { repoRoot } from "./paths.js";
import { isOurQemu, qemuRssMb } from "./qemu-process.js";
import { vmDown } from "./shutdown.js";
import { type HostForward, readVmState } from "./vm-state.js";

export { type VmBootOptions, type VmBootResult, vmBoot } from "./boot.js";
export { type VmExecOptions, vmExec, vmExecOk } from "./exec.js";
export { vmForward } from "./forward.js";
export { type StopMethod, type VmDownOptions, vmDown } from "./shutdown.js";

/**
 * Where the lab keeps its state inside the guest: on tmpfs, because the lab
 * puts overlayfs upper dirs there and neither 9p nor the guest's overlay root
 * can be an overlay upper layer.
 */
export const GUEST_LAB_DIR = "/run/lvsplay-lab";

export interface VmUpOptions extends VmBootOptions {
  /** containerlab topology file (absolute or relative to cwd); visible in the guest through the shared root. */
  readonly topology: string;
  /**
   * argv prefix of the lab CLI in the guest; `lab up TOPOLOGY --state-dir DIR` is appended.
   * Default: this Node binary running <repo>/bin/lvsplay.js (needs `npm run build`).
   */
  readonly labCommand?: readonly string[];
  /** Hang guard for `lab up` inside the guest, seconds (default 1800: everything is emulated; it waits on progress itself). */
  readonly labTimeoutSec?: number;
}

export interface VmUpResult {
  readonly stateDir: string;
  /** Machine-side inventory: hosts at 127.0.0.1 with `port:`, `vrrp_only: false`. */
  readonly inventoryFile: string;
  readonly knownHostsFile: string;
  /** Copy of the lab's client key (the inventory's `identity`). */
  readonly identityFile: string;
  readonly forwards: readonly HostForward[];
  readonly bootMs: number;
  readonly labUpMs: number;
  readonly qemuPid: number;
  readonly rssMb: number | undefined;
}

export function defaultLabCommand(): string[] {
  return [process.execPath, join(repoRoot(), "bin", "lvsplay.js")];
}

/** On failure the guest is stopped and everything removed; the error carries the guest's log tails. */
export async function vmUp(opts: VmUpOptions): Promise<VmUpResult> {
  // Bad input fails before anything boots (the guest reads the same file through the shared root).
  loadTopology(resolve(opts.topology));
  // Checked before the try: the cleanup below must never stop someone else's running guest.
  const running = readVmState(resolve(opts.stateDir));
  if (running && isOurQemu(running.pid)) {
    throw vmError(`a VM already runs for ${running.stateDir} (QEMU pid ${running.pid}); run vm down first`);
  }
  try {
    return await bootAndRunLab(opts);
  } catch (e) {
    const stateDir = resolve(opts.stateDir);
    const tails = guestLogTails(stateDir);
    await vmDown({ stateDir, ...(opts.log ? { log: opts.log } : {}) }).catch(() => undefined);
    throw vmError(`${e instanceof Error ? e.message : String(e)}${tails}`);
  }
}

function guestLogTails(stateDir: string): string {
  let text = "";
  for (const name of ["console.log", "boot.log", "agent.log"]) {
    try {
      const lines = readFileSync(join(stateDir, "vm", name), "utf8")
        .trimEnd()
        .split("\n")
        .slice(-15);
      text += `\n--- guest ${name} (last lines) ---\n${lines.join("\n")}`;
    } catch {
      // Not written yet.
    }
  }
  return text;
}

async function bootAndRunLab(opts: VmUpOptions): Promise<VmUpResult> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const { state, rssMb } = await vmBoot(opts);
  const ex = { stateDir: state.stateDir };
  const topology = resolve(opts.topology);

  const labStarted = Date.now();
  const labArgv = [
    ...(opts.labCommand ?? defaultLabCommand()),
    "lab",
    "up",
    topology,
    "--state-dir",
    GUEST_LAB_DIR,
  ];
  await vmExecOk(labArgv, { ...ex, timeoutSec: opts.labTimeoutSec ?? 1800 });
  const labUpMs = Date.now() - labStarted;
  log(`lvsplay vm: lab up inside the guest in ${(labUpMs / 1000).toFixed(1)} s`);

  const readGuest = async (name: string) => (await vmExecOk(["cat", join(GUEST_LAB_DIR, name)], ex)).stdout;
  const labInventory = await readGuest("inventory.yaml");
  const labKnownHosts = await readGuest("known_hosts");
  const labKey = await readGuest("id_ed25519");

  const hosts = labHosts(labInventory);
  const forwards: (HostForward & { hostPort: number })[] = [];
  for (const host of hosts) {
    forwards.push(await vmForward(state.stateDir, host.name, { address: host.address, port: host.port }));
  }
  const withPorts = hosts.map((h, i) => ({ ...h, hostPort: forwards[i]!.hostPort }));

  const identityFile = join(state.stateDir, "id_ed25519");
  const knownHostsFile = join(state.stateDir, "known_hosts");
  const inventoryFile = join(state.stateDir, "inventory.yaml");
  for (const path of [identityFile, knownHostsFile, inventoryFile]) vmRecordCreated(state.stateDir, path);
  writeFileSync(identityFile, labKey, { mode: 0o600 });
  writeFileSync(knownHostsFile, machineKnownHosts(labKnownHosts, withPorts));
  writeFileSync(
    inventoryFile,
    machineInventory(labInventory, {
      hostPorts: new Map(withPorts.map((h) => [h.name, h.hostPort])),
      identityFile,
      knownHostsFile,
    }),
  );
  log(`lvsplay vm: ${hosts.map((h, i) => `${h.name}=127.0.0.1:${forwards[i]!.hostPort}`).join(" ")}`);
  return {
    stateDir: state.stateDir,
    inventoryFile,
    knownHostsFile,
    identityFile,
    forwards,
    bootMs: state.bootMs,
    labUpMs,
    qemuPid: state.pid,
    rssMb: qemuRssMb(state.pid) ?? rssMb,
  };
}
