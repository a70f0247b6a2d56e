// Port forwards from 127.0.0.1 on the machine to addresses inside the guest.
import { resolve } from "node:path";
import { vmExecOk } from "./exec.js";
import { GUEST_ADDRESS } from "./init-script.js";
import { freeLoopbackPort } from "./ports.js";
import { addHostForward } from "./qmp.js";
import { type HostForward, requireVmState, writeVmState } from "./vm-state.js";

const FORWARD_PORT_BASE = 2200;

/**
 * Makes target (an address inside the guest, e.g. a lab host's sshd) reachable
 * from the machine at 127.0.0.1:hostPort: QEMU forwards to the guest, the guest
 * DNATs to the target and masquerades so replies come back through it.
 */
export async function vmForward(
  stateDir: string,
  name: string,
  target: { address: string; port: number },
): Promise<HostForward> {
  const state = requireVmState(resolve(stateDir));
  const guestPort = FORWARD_PORT_BASE + state.forwards.length;
  const hostPort = await freeLoopbackPort();
  const ex = { stateDir: state.stateDir };
  const dport = String(guestPort);
  const to = `${target.address}:${target.port}`;
  await vmExecOk(
    [
      "iptables",
      "-w",
      "-t",
      "nat",
      "-A",
      "PREROUTING",
      "-p",
      "tcp",
      "-d",
      GUEST_ADDRESS,
      "--dport",
      dport,
    ].concat(["-j", "DNAT", "--to-destination", to]),
    ex,
  );
  await vmExecOk(
    ["iptables", "-w", "-t", "nat", "-A", "POSTROUTING", "-p", "tcp", "-d", target.address].concat([
      "--dport",
      String(target.port),
      "-m",
      "conntrack",
      "--ctstate",
      "DNAT",
      "-j",
      "MASQUERADE",
    ]),
    ex,
  );
  await addHostForward(state.qmpSocket, hostPort, GUEST_ADDRESS, guestPort);
  const forward: HostForward = { name, hostPort, guestPort, target };
  writeVmState({ ...state, forwards: [...state.forwards, forward] });
  return forward;
}

/** Remembers a path vmUp created outside the vm folder so vmDown removes it. */
export function vmRecordCreated(stateDir: string, path: string): void {
  const state = requireVmState(resolve(stateDir));
  if (!state.createdPaths.includes(path))
    writeVmState({ ...state, createdPaths: [...state.createdPaths, path] });
}
