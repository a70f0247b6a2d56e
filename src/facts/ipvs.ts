// The live IPVS table (`ipvsadm -Ln`) and the connection sync daemons that run
// (`ipvsadm -L --daemon`), when the kernel has IPVS.
import type { Fact } from "../engine/types.js";

export interface IpvsRealServer {
  readonly address: string;
  readonly port: number;
  readonly forward: string;
  readonly weight: number;
}

export type IpvsService =
  | {
      readonly kind: "fwmark";
      readonly mark: number;
      readonly scheduler: string;
      readonly realServers: IpvsRealServer[];
    }
  | {
      readonly kind: "vip";
      readonly protocol: "tcp" | "udp";
      readonly vip: string;
      readonly port: number;
      readonly scheduler: string;
      readonly realServers: IpvsRealServer[];
    };

export interface IpvsFact {
  readonly available: boolean;
  readonly services: readonly IpvsService[];
  /** The kernel's sync daemons (keepalived's lvs_sync_daemon runs one, following the VRRP state). */
  readonly syncDaemons: {
    readonly master: boolean;
    readonly backup: boolean;
    /** The running master daemon's largest message in bytes, when ipvsadm prints it (`maxlen=`). */
    readonly masterMaxlen?: number;
  };
}

// `--daemon` prints "master sync daemon (mcast=eth1, syncid=51)" and/or "backup sync daemon (…)", or nothing.
const PROBE =
  "if [ -e /proc/net/ip_vs ] && command -v ipvsadm >/dev/null 2>&1; then ipvsadm -Ln; ipvsadm -L --daemon 2>/dev/null || true; else echo NOIPVS; fi";

export function parseIpvsadm(stdout: string): IpvsFact {
  if (stdout.startsWith("NOIPVS"))
    return { available: false, services: [], syncDaemons: { master: false, backup: false } };
  const services: IpvsService[] = [];
  let current: IpvsService | undefined;
  for (const line of stdout.split("\n")) {
    const fwm = /^FWM\s+(\d+)\s+(\S+)/.exec(line);
    const vip = /^(TCP|UDP)\s+(\d+\.\d+\.\d+\.\d+):(\d+)\s+(\S+)/.exec(line);
    const rs = /^\s+->\s+(\d+\.\d+\.\d+\.\d+):(\d+)\s+(\S+)\s+(\d+)/.exec(line);
    if (fwm) {
      current = { kind: "fwmark", mark: Number(fwm[1]), scheduler: fwm[2]!, realServers: [] };
      services.push(current);
    } else if (vip) {
      current = {
        kind: "vip",
        protocol: vip[1] === "TCP" ? "tcp" : "udp",
        vip: vip[2]!,
        port: Number(vip[3]),
        scheduler: vip[4]!,
        realServers: [],
      };
      services.push(current);
    } else if (rs && current) {
      current.realServers.push({
        address: rs[1]!,
        port: Number(rs[2]),
        forward: rs[3]!,
        weight: Number(rs[4]),
      });
    }
  }
  const masterMaxlen = /^master sync daemon \(.*\bmaxlen=(\d+)/m.exec(stdout)?.[1];
  const syncDaemons = {
    master: /^master sync daemon\b/m.test(stdout),
    backup: /^backup sync daemon\b/m.test(stdout),
    ...(masterMaxlen !== undefined && { masterMaxlen: Number(masterMaxlen) }),
  };
  return { available: true, services, syncDaemons };
}

export const ipvsFact: Fact<IpvsFact> = {
  name: "ipvs",
  command: () => ({ argv: ["sh", "-c", PROBE] }),
  parse: (r) => parseIpvsadm(r.stdout),
};
