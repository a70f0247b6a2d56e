// Static checks on the LVS layout before anything is rendered.
//
// lvsplay always renders fwmark virtual servers plus peer-excluding mark rules,
// which is loop-free. The guard exists for layouts that bypass that: the loud
// `allowLoopingLayout` override (directors serving VIP:port themselves) and
// inventories whose services would make the mark rules ambiguous. The loop
// analysis (loop/analyze.ts) is the proof on the actual rules; this is the
// early, inventory-only explanation.
import type { Inventory, Service } from "../../inventory/model.js";
import { directorNames, realServerNames } from "../directors.js";
import { MULTIPORT_MAX } from "../marks/chain.js";

export interface GuardResult {
  /** Refuse to render/apply. */
  readonly errors: string[];
  /** Proceed, but say it loudly. */
  readonly warnings: string[];
}

/** Why VIP:port virtual servers on directors that are also real servers loop. */
export function pingPongExplanation(colocated: readonly string[], svc: Service): string {
  const port = svc.ports[0];
  const [a, b] = colocated;
  return [
    `service ${svc.name} (${svc.vip}:${port}): directors ${colocated.join(", ")} are also real servers.`,
    `With a VIP:port virtual server, keepalived programs IPVS on the BACKUP too, so a client packet that`,
    `${a} schedules to ${b} matches ${b}'s own virtual server and may be sent back to ${a}, and so on:`,
    `client → ${a} (VIP ${svc.vip}:${port}, forwards to ${b}) → ${b} (VIP ${svc.vip}:${port}, forwards to ${a}) → loop.`,
    "IPVS decrements TTL per hop, so connections fail or stall rather than storm.",
    "The fix lvsplay applies: fwmark virtual servers, and mark rules that skip packets whose source MAC",
    "is a peer director's (set allow_looping_layout: false).",
  ].join("\n");
}

const overlaps = (a: Service, b: Service): boolean =>
  a.vip === b.vip && a.protocol === b.protocol && a.ports.some((p) => b.ports.includes(p));

export function topologyGuard(inv: Inventory): GuardResult {
  const errors: string[] = [];
  const warnings: string[] = [];
  const lvs = inv.lvs;
  if (lvs === undefined) return { errors: ["inventory has no lvs section"], warnings };

  const directors = directorNames(inv);
  const realServers = realServerNames(inv);
  const colocated = directors.filter((d) => realServers.includes(d));
  if (directors.length === 0) errors.push("no hosts in group directors");
  if (!lvs.vrrpOnly && lvs.services.length > 0 && realServers.length === 0) {
    errors.push("no hosts in group realservers: every virtual server would be empty");
  }
  for (const d of lvs.vrrp.order) {
    if (!directors.includes(d)) errors.push(`vrrp order names ${d}, which is not a director`);
  }
  for (const d of directors) {
    if (lvs.vrrp.priorities[d] === undefined) errors.push(`director ${d} has no VRRP priority`);
  }

  lvs.services.forEach((svc, i) => {
    if (svc.ports.length === 0) errors.push(`service ${svc.name} has no ports`);
    if (svc.ports.length > MULTIPORT_MAX) {
      errors.push(`service ${svc.name}: at most ${MULTIPORT_MAX} ports per service (iptables multiport)`);
    }
    for (const other of lvs.services.slice(i + 1)) {
      if (other.name === svc.name) errors.push(`two services are named ${svc.name}`);
      if (overlaps(svc, other)) {
        errors.push(
          `services ${svc.name} and ${other.name} share ${svc.vip} ${svc.protocol} ports: ` +
            "a packet would get whichever mark rule comes last",
        );
      }
    }
    if (lvs.allowLoopingLayout && colocated.length >= 2) {
      warnings.push(`allow_looping_layout is set. ${pingPongExplanation(colocated, svc)}`);
    }
  });
  return { errors, warnings };
}
