// `lab restart NODE`: a "reboot" — the host's processes and netns die, its disk
// (overlay upper dirs, /root) survives, and it boots again: filesystem, node-boot
// (iptables-restore, sysctl, firewalld, /etc/lvsplay/boot.d, keepalived), sshd,
// then the node's `exec` commands (they play the role of its boot-time services).
import { writeFileSync } from "node:fs";
import path from "node:path";
import { errorMessage } from "../util/error-message.js";
import { execInHost, startHost, stopHost } from "./host.js";
import { ensureClientKey, KNOWN_HOSTS_FILE, knownHostsText } from "./lab-files.js";
import { LabError, type LabOptions, requireState } from "./lab-status.js";
import { writeState } from "./state.js";
import { loadTopology } from "./topology.js";

export interface LabRestartResult {
  readonly node: string;
  readonly durationMs: number;
}

export async function labRestart(node: string, opts: LabOptions = {}): Promise<LabRestartResult> {
  const started = Date.now();
  const { stateDir, state } = requireState(opts);
  const rec = state.hosts[node];
  if (!rec)
    throw new LabError(
      `lab ${state.lab} has no node ${node} (nodes: ${Object.keys(state.hosts).join(", ")})`,
    );
  if (!state.complete)
    throw new LabError("the lab is half-built; run `lvsplay lab down` and `lvsplay lab up`");
  const topology = loadTopology(state.topologyFile);
  if (topology.hash !== state.topologyHash)
    throw new LabError(
      `${state.topologyFile} changed since \`lab up\`; run \`lvsplay lab down\` and \`lvsplay lab up\``,
    );
  const host = topology.hosts.find((h) => h.name === node);
  if (!host) throw new LabError(`node ${node} is not in ${state.topologyFile}`);

  const save = () => writeState(stateDir, state);
  await stopHost(rec, save);
  const key = await ensureClientKey(stateDir);
  try {
    await startHost(host, { record: rec, save, authorizedKey: key.publicKey });
  } catch (error) {
    save();
    throw new LabError(`restart of ${node} failed: ${errorMessage(error)}`);
  }
  // The host key lives on the kept /etc, so known_hosts normally stays the same; rewrite it anyway.
  const entries = [];
  for (const r of Object.values(state.hosts)) {
    if (!r.init) continue;
    const pub = await execInHost(r.init, ["cat", "/etc/ssh/ssh_host_ed25519_key.pub"]);
    if (pub.code === 0) entries.push({ address: r.address, hostKey: pub.stdout.trim() });
  }
  writeFileSync(path.join(stateDir, KNOWN_HOSTS_FILE), knownHostsText(entries));
  return { node, durationMs: Date.now() - started };
}
