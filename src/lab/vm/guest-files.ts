// Files the host writes into <stateDir>/vm before boot; the guest reads them
// through the state share. Keeping them out of the initramfs keeps that cached.
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AGENT_SOURCE, type AgentConfig } from "./agent-source.js";

/** Kernel modules the lab needs, loaded at boot so failures show in the console log. */
export const LAB_MODULES = ["ip_vs", "ip_vs_rr", "xt_mac", "xt_mark"] as const;

export interface GuestFiles {
  readonly vmDir: string;
  readonly agentConfigFile: string;
  readonly agentLog: string;
  readonly bootLog: string;
}

export function bootScript(vmDir: string): string {
  return `#!/bin/sh
# lvsplay guest sysinit: runs once under busybox init, before the agent starts.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
exec >>${vmDir}/boot.log 2>&1
echo "boot: $(cat /proc/uptime)"
# Namespaced lab hosts use private mount propagation; start from a private tree.
mount --make-rprivate /
sysctl -q -w net.ipv4.ip_forward=1
modprobe -a ${LAB_MODULES.join(" ")} || echo "boot: modprobe failed"
echo "boot: done $(cat /proc/uptime)"
`;
}

export function inittab(vmDir: string, nodePath: string): string {
  return [
    `::sysinit:/bin/sh ${vmDir}/boot.sh`,
    // respawn: a crashed agent comes back instead of leaving the VM unreachable.
    `::respawn:${nodePath} ${vmDir}/agent.mjs ${vmDir}/agent.json`,
    "::shutdown:/bin/sync",
    "",
  ].join("\n");
}

export function writeGuestFiles(stateDir: string, agent: AgentConfig, nodePath: string): GuestFiles {
  const vmDir = join(stateDir, "vm");
  mkdirSync(vmDir, { recursive: true, mode: 0o700 });
  writeFileSync(join(vmDir, "inittab"), inittab(vmDir, nodePath));
  writeFileSync(join(vmDir, "boot.sh"), bootScript(vmDir), { mode: 0o755 });
  writeFileSync(join(vmDir, "agent.mjs"), AGENT_SOURCE);
  const agentConfigFile = join(vmDir, "agent.json");
  // The token is the agent's only credential: owner-only on the machine.
  writeFileSync(agentConfigFile, `${JSON.stringify(agent)}\n`, { mode: 0o600 });
  chmodSync(agentConfigFile, 0o600);
  return { vmDir, agentConfigFile, agentLog: agent.logFile, bootLog: join(vmDir, "boot.log") };
}
