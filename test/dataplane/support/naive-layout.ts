// The naive layout the seed warns about, set up by hand (never by lvsplay): DR
// real-server settings on every real server, and keepalived with a VIP:port
// virtual service on BOTH directors, VRRP with the first director as MASTER.
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

export async function applyNaiveLayout(
  lab: GuestLab,
  opts: { vip: string; directors: readonly string[]; realServers: readonly string[] },
): Promise<void> {
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
export async function removeNaiveLayout(
  lab: GuestLab,
  opts: { vip: string; directors: readonly string[]; realServers: readonly string[] },
): Promise<void> {
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
}
