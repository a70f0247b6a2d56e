// Machine-side network plumbing for the lab: bridges, veths, namespaces, probes.
import { existsSync } from "node:fs";
import { Socket } from "node:net";
import { must, run } from "./run.js";
import type { LabBridge } from "./topology.js";
import { seconds } from "./wait.js";

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

/**
 * True when something at address:port answers with an SSH banner (`lab status`).
 * A refusal answers at once; an accepted connection gets a minute, since a
 * forking sshd under emulation on a busy machine may need that long.
 */
export async function sshBanner(address: string, port = 22, timeoutMs = 60_000): Promise<boolean> {
  return (await sshGreeting(address, port, timeoutMs)) === "banner";
}

/**
 * Waits until sshd on address:22 sends its banner. A refused connection is
 * retried quickly (nothing listens yet, and a refusal costs the host nothing);
 * an accepted one gets all the time sshd needs to answer — each connection
 * makes sshd fork and re-exec itself, which under emulation can take many
 * seconds, so short per-attempt timeouts would never see a banner (and would
 * pile up half-started sshd children). `limitMs` is a hang guard only.
 */
export async function waitForSsh(address: string, limitMs = 10 * 60_000): Promise<void> {
  const started = Date.now();
  let last = "";
  for (;;) {
    const left = limitMs - (Date.now() - started);
    const outcome = await sshGreeting(address, 22, Math.max(left, 1000));
    if (outcome === "banner") return;
    last = outcome;
    if (Date.now() - started > limitMs)
      throw new Error(
        `sshd on ${address}:22 did not send its banner within ${seconds(Date.now() - started)} (last attempt: ${last})`,
      );
    await new Promise((r) => setTimeout(r, outcome === "refused" ? 50 : 1000));
  }
}

type Greeting = "banner" | "refused" | "no banner" | "not ssh" | "closed";

function sshGreeting(address: string, port: number, timeoutMs: number): Promise<Greeting> {
  return new Promise((resolve) => {
    const socket = new Socket();
    let data = "";
    const done = (g: Greeting) => {
      socket.destroy();
      resolve(g);
    };
    socket.setTimeout(timeoutMs, () => done("no banner"));
    socket.on("error", (e: NodeJS.ErrnoException) => done(e.code === "ECONNREFUSED" ? "refused" : "closed"));
    socket.on("close", () => done("closed"));
    socket.on("data", (chunk) => {
      data += chunk.toString("latin1");
      if (data.includes("\n")) done(data.startsWith("SSH-2.0-") ? "banner" : "not ssh");
    });
    socket.connect(port, address);
  });
}
