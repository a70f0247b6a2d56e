// Firewall mark allocation: one mark per (director, service), unique per host.
//
// Scheme (deterministic, documented for users):
//   1. Pinned marks (service.fwmarks[director]) are taken as given.
//   2. The rest are allocated service-major: for each service in inventory order,
//      for each director in inventory order, take the smallest mark >= a running
//      counter (starting at 1) that is not pinned anywhere, not already allocated,
//      and not used on that host by rules we do not own.
//   Seed (ds1, ds2, one service "web"): ds1 → 1, ds2 → 2.
// Service-major order means appending a service never renumbers existing marks;
// pinning marks is the way to make them survive any inventory edit.
// Marks are kept globally unique (not only per host) because it makes paths and
// `ipvsadm -Ln` output unambiguous across directors.
//
// With connection_sync, every director uses ONE mark per service instead:
// IPVS sync messages carry the master's fwmark, and a backup binds a synced
// connection to its own real server only through a service with that mark.
// Otherwise the entry stays unbound: it still forwards, but it is invisible to
// the backup's lc/wlc counters, escapes expire_nodest_conn when a health check
// removes its real server, and persistence templates are dropped on failover.
// Sharing a mark is safe: the mark never leaves the host, and what keeps peers'
// packets out of IPVS is the peer-MAC exclusion, not the mark's value.
import type { Inventory } from "../../inventory/model.js";
import { directorNames } from "../directors.js";

/** Largest value `--set-xmark 0xN/0xffffffff` accepts. */
export const MAX_MARK = 0xffffffff;

export interface MarkAllocation {
  /** director → service → mark. */
  readonly marks: Record<string, Record<string, number>>;
  readonly errors: string[];
}

const isValidMark = (m: number): boolean => Number.isInteger(m) && m > 0 && m <= MAX_MARK;

/**
 * @param usedOnHost marks set on each director by rules outside our chain
 *   (parseMangle(...).foreignMarks); our own chain's marks must not be listed.
 */
export function allocateMarks(
  inv: Inventory,
  usedOnHost: Readonly<Record<string, ReadonlySet<number>>>,
): MarkAllocation {
  if (inv.lvs?.connectionSync) return allocateSharedMarks(inv, usedOnHost);
  const directors = directorNames(inv);
  const services = inv.lvs?.services ?? [];
  const errors: string[] = [];
  const marks: Record<string, Record<string, number>> = {};
  for (const d of directors) marks[d] = {};
  const pinnedAnywhere = new Set<number>();

  for (const svc of services) {
    for (const [director, mark] of Object.entries(svc.fwmarks)) {
      const perDirector = marks[director];
      if (perDirector === undefined) {
        errors.push(`service ${svc.name}: fwmark pinned for ${director}, which is not a director`);
        continue;
      }
      if (!isValidMark(mark)) {
        errors.push(
          `service ${svc.name}: fwmark ${mark} on ${director} must be an integer in 1..${MAX_MARK}`,
        );
        continue;
      }
      const clash = Object.entries(perDirector).find(([, m]) => m === mark);
      if (clash) {
        errors.push(`${director}: services ${clash[0]} and ${svc.name} are both pinned to fwmark ${mark}`);
        continue;
      }
      if (usedOnHost[director]?.has(mark)) {
        errors.push(
          `${director}: pinned fwmark ${mark} of service ${svc.name} is already set by a rule lvsplay does not own`,
        );
        continue;
      }
      perDirector[svc.name] = mark;
      pinnedAnywhere.add(mark);
    }
  }

  const allocated = new Set<number>();
  let next = 1;
  for (const svc of services) {
    for (const director of directors) {
      const perDirector = marks[director]!;
      if (svc.fwmarks[director] !== undefined) continue; // pinned (or reported above)
      const foreign = usedOnHost[director];
      while (pinnedAnywhere.has(next) || allocated.has(next) || foreign?.has(next)) next++;
      if (next > MAX_MARK) {
        errors.push(`${director}: no free fwmark left for service ${svc.name}`);
        continue;
      }
      perDirector[svc.name] = next;
      allocated.add(next);
      next++;
    }
  }
  return { marks, errors };
}

/**
 * connection_sync: one mark per service on every director. A pinned mark (the
 * same on every director that pins one: the inventory rules check that) is
 * used as given; the rest take, service by service, the smallest mark that is
 * pinned nowhere, not yet taken, and set by no foreign rule on any director.
 */
export function allocateSharedMarks(
  inv: Inventory,
  usedOnHost: Readonly<Record<string, ReadonlySet<number>>>,
): MarkAllocation {
  const directors = directorNames(inv);
  const services = inv.lvs?.services ?? [];
  const errors: string[] = [];
  const marks: Record<string, Record<string, number>> = {};
  for (const d of directors) marks[d] = {};
  const foreignAnywhere = (mark: number) => directors.filter((d) => usedOnHost[d]?.has(mark));
  const pinnedOf = (svcName: string) => {
    const svc = services.find((s) => s.name === svcName);
    return [...new Set(Object.values(svc?.fwmarks ?? {}))];
  };
  const pinned = new Set(services.flatMap((s) => pinnedOf(s.name)));
  const taken = new Set<number>();
  let next = 1;
  for (const svc of services) {
    const pins = pinnedOf(svc.name);
    let mark: number;
    if (pins.length > 1) {
      errors.push(
        `service ${svc.name}: connection_sync needs one fwmark on every director, pinned ${pins.join(" and ")}`,
      );
      continue;
    }
    if (pins.length === 1) {
      mark = pins[0]!;
      if (!isValidMark(mark)) {
        errors.push(`service ${svc.name}: fwmark ${mark} must be an integer in 1..${MAX_MARK}`);
        continue;
      }
      const clash = foreignAnywhere(mark);
      if (clash.length > 0) {
        errors.push(
          `${clash.join(", ")}: pinned fwmark ${mark} of service ${svc.name} is already set by a rule lvsplay does not own`,
        );
        continue;
      }
      if (taken.has(mark)) {
        errors.push(`service ${svc.name}: fwmark ${mark} is already used by another service`);
        continue;
      }
    } else {
      while (pinned.has(next) || taken.has(next) || foreignAnywhere(next).length > 0) next++;
      if (next > MAX_MARK) {
        errors.push(`no free fwmark left for service ${svc.name}`);
        continue;
      }
      mark = next++;
    }
    taken.add(mark);
    for (const d of directors) marks[d]![svc.name] = mark;
  }
  return { marks, errors };
}
