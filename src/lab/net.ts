// Machine-side network plumbing for the lab: bridges, veths, namespaces, probes.
import { existsSync } from "node:fs";
import { Socket } from "node:net";
import { must, run } from "./run.js";
import type { LabBridge } from "./topology.js";

export const netnsPath = (netns: string) => `/run/netns/${netns}`;
export const linkExists = (name: string) => existsSync(`/sys/class/net/${name}`);
export const netnsExists = (netns: string) => existsSync(netnsPath(netns));

export async function createBridge(bridge: LabBridge): Promise<void> {
  await must([
    "ip",
    "link",
    "add",
    "name",
    bridge.name,
    ...(bridge.mac ? ["address", bridge.mac] : []),
    "type",
    "bridge",
  ]);
}

/** Address and link state come after the state file recorded the bridge, so `down` can always remove it. */
export async function configureBridge(bridge: LabBridge): Promise<void> {
  if (bridge.address) await must(["ip", "addr", "add", bridge.address, "dev", bridge.name]);
  await must(["ip", "link", "set", bridge.name, "up"]);
}

/** Deletes a link we created; a link that is already gone is fine. */
export async function deleteLink(name: string): Promise<void> {
  if (!linkExists(name)) return;
  await must(["ip", "link", "del", name]);
}

export async function deleteNetns(netns: string): Promise<void> {
  if (!netnsExists(netns)) return;
  await must(["ip", "netns", "del", netns]);
}

/** Every IPv4 address on the machine's own interfaces. */
export async function machineAddresses(): Promise<Set<string>> {
  const out = (await run(["ip", "-4", "-o", "addr", "show"])).stdout;
  return new Set([...out.matchAll(/inet (\d+\.\d+\.\d+\.\d+)\//g)].map((m) => m[1]!));
}

/** True when something at address:port answers with an SSH banner. */
export function sshBanner(address: string, port = 22, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    let data = "";
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.on("error", () => done(false));
    socket.on("data", (chunk) => {
      data += chunk.toString("latin1");
      if (data.includes("\n")) done(data.startsWith("SSH-2.0-"));
    });
    socket.connect(port, address);
  });
}

export async function waitForSsh(address: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await sshBanner(address, 22, 500))) {
    if (Date.now() > deadline) throw new Error(`sshd on ${address}:22 did not answer within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
