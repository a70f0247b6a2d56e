// A keepalived configuration of the host's own (not lvsplay's) on a lab
// director, and the probes that show it kept running: a notify script that logs
// every state change of the foreign instance, the keepalived PID, and a watcher
// that samples the foreign VIP while lvsplay runs.
import type { E2eLab } from "./e2e-lab.js";
import { KEEPALIVED_CONF, waitFor } from "./host-state.js";

export const NOTIFY_SCRIPT = "/usr/local/sbin/site-vrrp-notify";
export const NOTIFY_LOG = "/var/tmp/site-vrrp-notify.log";

/** The site's own notify script: one line per state change (keepalived runs it as root). */
const NOTIFY_BODY = `#!/bin/sh
# $1 GROUP|INSTANCE, $2 name, $3 state, $4 priority
echo "$2 $3" >> ${NOTIFY_LOG}
`;

export interface ForeignSetup {
  /** The main keepalived.conf exactly as the site wrote it. */
  readonly conf: string;
  /** Options for /etc/default/keepalived (the site's own, e.g. -P on a kernel without IPVS). */
  readonly daemonArgs: string;
}

/**
 * Writes the site's files on `node` and starts keepalived; waits until `holds`
 * (if given) is on the node and keepalived is old enough to be reloaded.
 */
export async function startForeignKeepalived(
  lab: E2eLab,
  node: string,
  setup: ForeignSetup,
  holds?: string,
): Promise<void> {
  const iface = lab.facts.interfaces[node] ?? "eth1";
  const write = (path: string, content: string, mode: string) =>
    lab.read(node, [
      "sh",
      "-c",
      'mkdir -p "$(dirname "$1")" && printf "%s" "$2" > "$1" && chmod "$3" "$1"',
      "sh",
      path,
      content,
      mode,
    ]);
  await write(NOTIFY_SCRIPT, NOTIFY_BODY, "0755");
  await write(KEEPALIVED_CONF, setup.conf, "0644");
  await write("/etc/default/keepalived", `DAEMON_ARGS="${setup.daemonArgs}"\n`, "0644");
  await lab.read(node, ["keepalived", "-t", "-f", KEEPALIVED_CONF]);
  await lab.read(node, ["service", "keepalived", "start"]);
  if (holds !== undefined)
    await waitFor(`${node} to hold ${holds}`, async () =>
      (await addresses(lab, node, iface)).includes(holds),
    );
  // lvsplay restarts instead of reloading a keepalived younger than 3 s (its signal handlers may not be up yet).
  await waitFor(
    `keepalived on ${node} to run for 4 s`,
    async () => ((await keepalivedAge(lab, node)) ?? 0) >= 4,
    20_000,
    250,
  );
}

export async function addresses(lab: E2eLab, node: string, iface: string): Promise<string[]> {
  const out = await lab.read(node, ["ip", "-4", "-o", "addr", "show", "dev", iface]);
  return [...out.matchAll(/inet (\S+)\//g)].map((m) => m[1]!);
}

export async function keepalivedPid(lab: E2eLab, node: string): Promise<string> {
  return (await lab.read(node, ["pgrep", "-o", "-x", "keepalived"])).trim();
}

async function keepalivedAge(lab: E2eLab, node: string): Promise<number | undefined> {
  const r = await lab.exec(node, [
    "ps",
    "-o",
    "etimes=",
    "-p",
    (await lab.exec(node, ["pgrep", "-o", "-x", "keepalived"])).stdout.trim() || "1",
  ]);
  return r.code === 0 ? Number(r.stdout.trim()) : undefined;
}

export const notifyLog = async (lab: E2eLab, node: string): Promise<string> =>
  (await lab.exec(node, ["cat", NOTIFY_LOG])).stdout;

export interface Watch {
  /** Stops sampling; how many samples were taken and in how many the address was missing. */
  stop(): Promise<{ samples: number; missing: number }>;
}

/** Samples `address` on the node's data interface every `intervalMs` until stopped. */
export function watchAddress(lab: E2eLab, node: string, address: string, intervalMs = 100): Watch {
  const iface = lab.facts.interfaces[node] ?? "eth1";
  let running = true;
  let samples = 0;
  let missing = 0;
  const loop = (async () => {
    while (running) {
      const held = (await addresses(lab, node, iface)).includes(address);
      samples++;
      if (!held) missing++;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { samples, missing };
    },
  };
}
