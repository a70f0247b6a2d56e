// Reads `ipvsadm -Ln --stats` — written for the tests on purpose instead of
// reusing lvsplay's own parser, so the data plane is judged independently.
import { type GuestLab, inHostOk } from "./guest-lab.js";

export interface IpvsCounters {
  readonly conns: number;
  readonly inPkts: number;
  readonly outPkts: number;
}

export interface IpvsStatsService extends IpvsCounters {
  /** "TCP 7.7.7.100:80" or "FWM 2". */
  readonly id: string;
  readonly reals: ReadonlyMap<string, IpvsCounters>;
}

// ipvsadm abbreviates big counters (e.g. 123K); scale them back.
function count(word: string): number {
  const m = /^(\d+)([KMGT]?)$/.exec(word);
  if (!m) throw new Error(`ipvsadm: unexpected counter "${word}"`);
  const scale = { "": 1, K: 1e3, M: 1e6, G: 1e9, T: 1e12 }[m[2] as "" | "K" | "M" | "G" | "T"];
  return Number(m[1]) * scale;
}

export function parseIpvsStats(text: string): IpvsStatsService[] {
  const services: {
    id: string;
    conns: number;
    inPkts: number;
    outPkts: number;
    reals: Map<string, IpvsCounters>;
  }[] = [];
  for (const line of text.split("\n")) {
    const svc = /^(TCP|UDP|SCTP|FWM)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+\S+\s+\S+\s*$/.exec(line);
    if (svc) {
      services.push({
        id: `${svc[1]} ${svc[2]}`,
        conns: count(svc[3]!),
        inPkts: count(svc[4]!),
        outPkts: count(svc[5]!),
        reals: new Map(),
      });
      continue;
    }
    const real = /^\s+->\s+(\d+\.\d+\.\d+\.\d+):\d+\s+(\S+)\s+(\S+)\s+(\S+)\s+\S+\s+\S+\s*$/.exec(line);
    const current = services[services.length - 1];
    if (real && current)
      current.reals.set(real[1]!, {
        conns: count(real[2]!),
        inPkts: count(real[3]!),
        outPkts: count(real[4]!),
      });
  }
  return services;
}

export async function ipvsStats(
  lab: GuestLab,
  host: string,
): Promise<{ text: string; services: IpvsStatsService[] }> {
  const text = await inHostOk(lab, host, ["ipvsadm", "-Ln", "--stats"]);
  return { text, services: parseIpvsStats(text) };
}

/** Real-server addresses of every virtual service on `host`, e.g. to watch health checks act. */
export async function ipvsRealAddresses(lab: GuestLab, host: string): Promise<string[]> {
  const { services } = await ipvsStats(lab, host);
  return services.flatMap((s) => [...s.reals.keys()]);
}

/** IPVS refreshes `--stats` counters every 2 s: wait that long before reading them. */
export const STATS_SETTLE_MS = 2500;
