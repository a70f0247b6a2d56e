// Loop-freedom analysis over all directors.
//
// For every (VIP, protocol, port) any director serves, a client packet (source
// MAC belonging to no director) is sent to each director in turn (any of them can
// be MASTER). At a director the packet gets a mark from the mark rules; IPVS
// then looks for a fwmark service with that mark first, else a VIP:port service
// (the kernel's lookup order). A matched service forwards to every one of its
// real servers (all branches are explored). A real server that is another
// director receives the packet with source MAC = the forwarding director's MAC.
// A packet scheduled by two directors in a row is a failure: either a loop
// (a director is reached twice) or a double forward.
import type { Protocol } from "../../inventory/model.js";
import { markFor, type Packet } from "./match.js";
import type { LoopDirector, LoopModel, VirtualService } from "./model.js";

export interface LoopAnalysis {
  readonly ok: boolean;
  /** Every explored path, e.g. `7.7.7.100:80/tcp: client → ds1 (fwmark 1, forwards to ds2) → ds2 (no virtual service: served locally)`. */
  readonly paths: string[];
  /** Failing paths with what is wrong; empty when ok. */
  readonly problems: string[];
  /** Things the analysis could not model exactly (it then assumed the pessimistic case). */
  readonly notes: string[];
}

/** Source MAC of client packets: not a valid unicast MAC, so it can equal no director's. */
export const CLIENT_MAC = "client";

interface Probe {
  readonly vip: string;
  readonly protocol: Protocol;
  readonly port: number;
}

const probeKey = (p: Probe): string => `${p.vip}:${p.port}/${p.protocol}`;

/** Destinations worth probing: every VIP:port service, and every /32 + port(s) a mark rule selects. */
export function probesOf(model: LoopModel): Probe[] {
  const probes = new Map<string, Probe>();
  const add = (p: Probe): void => {
    if (!probes.has(probeKey(p))) probes.set(probeKey(p), p);
  };
  for (const d of model.directors) {
    for (const s of d.services) if (s.kind === "vip") add({ vip: s.vip, protocol: s.protocol, port: s.port });
    for (const r of d.markRules) {
      if (r.destination === undefined || r.ports === undefined || r.destinationNegated) continue;
      const protocol: Protocol = r.protocol === "udp" ? "udp" : "tcp";
      const vip = r.destination.replace(/\/32$/, "");
      for (const [lo, hi] of r.ports) for (const port of new Set([lo, hi])) add({ vip, protocol, port });
    }
  }
  return [...probes.values()];
}

function findService(d: LoopDirector, mark: number, pkt: Packet): VirtualService | undefined {
  const byMark = mark !== 0 ? d.services.find((s) => s.kind === "fwmark" && s.mark === mark) : undefined;
  return (
    byMark ??
    d.services.find(
      (s) => s.kind === "vip" && s.vip === pkt.vip && s.port === pkt.port && s.protocol === pkt.protocol,
    )
  );
}

const describeService = (s: VirtualService): string =>
  s.kind === "fwmark" ? `fwmark ${s.mark}` : `VIP ${s.vip}:${s.port}`;

export function analyzeLoops(model: LoopModel): LoopAnalysis {
  const byAddress = new Map(model.directors.map((d) => [d.address, d]));
  const nameOf = (addr: string): string => byAddress.get(addr)?.name ?? model.names?.[addr] ?? addr;
  const paths: string[] = [];
  const problems: string[] = [];
  const notes = new Set<string>();

  // Walk from director `d`; `trail` is the path text so far, `visited` the directors on it,
  // `forwarders` how many directors scheduled the packet before it reached `d`.
  const walk = (
    d: LoopDirector,
    pkt: Packet,
    trail: string,
    visited: readonly string[],
    forwarders: number,
  ): void => {
    const mark = markFor(d.markRules, pkt, d.ipsets ?? {}, notes);
    const svc = findService(d, mark, pkt);
    const markText = mark !== 0 ? `mark ${mark}` : "no mark";
    if (svc === undefined) {
      paths.push(`${trail} → ${d.name} (${markText}, no virtual service: served locally)`);
      return;
    }
    for (const rsAddr of svc.realServers) {
      const here = `${trail} → ${d.name} (${describeService(svc)}, forwards to ${nameOf(rsAddr)})`;
      if (rsAddr === d.address) {
        paths.push(`${trail} → ${d.name} (${describeService(svc)}, schedules itself: served locally)`);
        continue;
      }
      const next = byAddress.get(rsAddr);
      const fwd = { ...pkt, srcMac: d.mac };
      if (next !== undefined && visited.includes(next.name)) {
        const path = `${here} → loop`;
        paths.push(path);
        problems.push(`loop: ${path}`);
      } else if (forwarders >= 1) {
        // d received a packet another director already scheduled, and schedules it again.
        const path = `${here} → ${nameOf(rsAddr)}`;
        paths.push(path);
        problems.push(`forwarded by two directors in a row: ${path}`);
      } else if (next !== undefined) {
        walk(next, fwd, here, [...visited, next.name], forwarders + 1);
      } else {
        paths.push(`${here} → ${nameOf(rsAddr)} serves`);
      }
    }
  };

  for (const probe of probesOf(model)) {
    for (const entry of model.directors) {
      const pkt: Packet = { ...probe, srcMac: CLIENT_MAC };
      walk(entry, pkt, `${probeKey(probe)}: client`, [entry.name], 0);
    }
  }
  return { ok: problems.length === 0, paths, problems: [...new Set(problems)], notes: [...notes] };
}
