// `lab ssh NODE [CMD...]`: OpenSSH with the lab's key and known_hosts, strict
// host key checking, and no user ssh_config in the way.
import path from "node:path";
import { KEY_FILE, KNOWN_HOSTS_FILE } from "./lab-files.js";
import { LabError, type LabOptions, requireState } from "./lab-status.js";

/** The ssh argv for NODE; `command` words are passed as ssh passes them (joined by the remote shell). */
export function labSshArgv(node: string, command: readonly string[], opts: LabOptions = {}): string[] {
  const { stateDir, state } = requireState(opts);
  const rec = state.hosts[node];
  if (!rec)
    throw new LabError(
      `lab ${state.lab} has no node ${node} (nodes: ${Object.keys(state.hosts).join(", ")})`,
    );
  return [
    "ssh",
    "-F",
    "none",
    "-i",
    path.join(stateDir, KEY_FILE),
    "-o",
    "IdentitiesOnly=yes",
    "-o",
    `UserKnownHostsFile=${path.join(stateDir, KNOWN_HOSTS_FILE)}`,
    "-o",
    "GlobalKnownHostsFile=/dev/null",
    "-o",
    "StrictHostKeyChecking=yes",
    "-o",
    // Generous: the lab may run inside an emulated guest on a busy machine.
    "ConnectTimeout=120",
    ...(command.length > 0 ? ["-o", "BatchMode=yes"] : []),
    `root@${rec.address}`,
    ...(command.length > 0 ? ["--", ...command] : []),
  ];
}
