// The naive layout the seed warns about, set up by hand (never by lvsplay): DR
// real-server settings on every real server, and keepalived with a VIP:port
// virtual service on BOTH directors, VRRP with the first director as MASTER.
// A director running firewalld drops VRRP (IP protocol 112) by default; without
// it the BACKUP never hears the MASTER and both hold the VIP, so the control
// opens VRRP in firewalld's RUNTIME config for the naive run and closes it again
// on removal — lvsplay must then open it itself (runtime + permanent).
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type GuestLab, inHost, inHostOk } from "./guest-lab.js";

const TEMPLATE = fileURLToPath(new URL("../fixtures/naive-keepalived.conf", import.meta.url));
const CONF = "/etc/keepalived/keepalived.conf";
const DR_SYSCTLS = ["all.arp_ignore", "all.arp_announce", "lo.arp_ignore", "lo.arp_announce"];

function drSysctlArgv(on: boolean): string[] {
  const values = on ? ["1", "2", "1", "2"] : ["0", "0", "0", "0"];
  return ["sysctl", "-q", "-w", ...DR_SYSCTLS.map((k, i) => `net.ipv4.conf.${k}=${values[i]}`)];
}

export function naiveKeepalivedConf(routerId: string, master: boolean): string {
  return readFileSync(TEMPLATE, "utf8")
    .replaceAll("@ROUTER_ID@", routerId)
    .replaceAll("@STATE@", master ? "MASTER" : "BACKUP")
    .replaceAll("@PRIORITY@", master ? "150" : "100");
}

export interface NaiveLayout {
  readonly vip: string;
  readonly directors: readonly string[];
  readonly realServers: readonly string[];
  /** Directors running firewalld (topology label lvsplay.firewalld). */
  readonly firewalld?: readonly string[];
}

/** The value list of one `firewall-cmd --list-all` line (`  services: http ssh` → [http, ssh]). */
export function listAllField(listAll: string, field: string): string[] {
  const line = listAll.split("\n").find((l) => l.trim().startsWith(`${field}:`));
  return line
    ? line
        .trim()
        .slice(field.length + 1)
        .trim()
        .split(/\s+/)
        .filter(Boolean)
    : [];
}

/**
 * Lets VRRP through firewalld (runtime only) for the naive keepalived. The web
 * port must already be open — the lab's exec config opens service http — or the
 * naive run would measure firewalld rejecting SYNs, not the loop.
 */
async function openNaiveFirewalld(lab: GuestLab, host: string): Promise<void> {
  const all = await inHostOk(lab, host, ["firewall-cmd", "--list-all"]);
  const open =
    listAllField(all, "services").includes("http") || listAllField(all, "ports").includes("80/tcp");
  if (!open) throw new Error(`${host}: firewalld does not allow port 80 (expected service http):\n${all}`);
  await inHostOk(lab, host, ["firewall-cmd", "--add-protocol=vrrp"]);
}

export async function applyNaiveLayout(lab: GuestLab, opts: NaiveLayout): Promise<void> {
  await Promise.all((opts.firewalld ?? []).map((host) => openNaiveFirewalld(lab, host)));
  await Promise.all(
    opts.realServers.map(async (host) => {
      await inHostOk(lab, host, ["ip", "addr", "replace", `${opts.vip}/32`, "dev", "lo"]);
      await inHostOk(lab, host, drSysctlArgv(true));
    }),
  );
  await Promise.all(
    opts.directors.map(async (host, i) => {
      await inHostOk(lab, host, ["tee", CONF], { stdin: naiveKeepalivedConf(host, i === 0) });
      await inHostOk(lab, host, ["keepalived", "-t", "-f", CONF]);
      await inHostOk(lab, host, ["service", "keepalived", "start"]);
    }),
  );
}

/** Undoes applyNaiveLayout so lvsplay starts from bare hosts; safe when nothing was applied. */
export async function removeNaiveLayout(lab: GuestLab, opts: NaiveLayout): Promise<void> {
  await Promise.all(
    opts.directors.map(async (host) => {
      await inHost(lab, host, ["service", "keepalived", "stop"]);
      await inHostOk(lab, host, ["ipvsadm", "-C"]);
      await inHostOk(lab, host, ["rm", "-f", CONF]);
      // keepalived removes its VIP on SIGTERM; make sure, in case it died earlier.
      await inHost(lab, host, ["ip", "addr", "del", `${opts.vip}/32`, "dev", "eth1"]);
    }),
  );
  await Promise.all(
    opts.realServers.map(async (host) => {
      await inHost(lab, host, ["ip", "addr", "del", `${opts.vip}/32`, "dev", "lo"]);
      await inHostOk(lab, host, drSysctlArgv(false));
    }),
  );
  // Runtime only, as opened: the permanent config never had it. A no-op (exit 0,
  // NOT_ENABLED warning) when apply did not get that far.
  await Promise.all(
    (opts.firewalld ?? []).map((host) => inHostOk(lab, host, ["firewall-cmd", "--remove-protocol=vrrp"])),
  );
}
