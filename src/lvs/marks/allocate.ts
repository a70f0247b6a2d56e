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

/** A pinned mark as both schemes check it: where it applies, what else is pinned to it there, foreign rules. */
interface PinnedMark {
  readonly service: string;
  readonly mark: number;
  /** "ds1", or "every director" with connection_sync. */
  readonly on: string;
  /** Another service pinned to the same mark there. */
  readonly pinnedAlsoBy?: string;
  /** Directors where a rule lvsplay does not own sets this mark. */
  readonly foreignOn: readonly string[];
}

/** The service already holding `mark` among `held` (service, mark) pairs, as PinnedMark's field. */
const pinnedAlsoBy = (held: readonly (readonly [string, number])[], mark: number) => {
  const other = held.find(([, m]) => m === mark)?.[0];
  return other === undefined ? {} : { pinnedAlsoBy: other };
};

/** Why a pinned mark cannot be used, or undefined: the same checks and messages for both schemes. */
function pinnedMarkProblem(p: PinnedMark): string | undefined {
  if (!isValidMark(p.mark))
    return `service ${p.service}: fwmark ${p.mark} on ${p.on} must be an integer in 1..${MAX_MARK}`;
  if (p.pinnedAlsoBy !== undefined)
    return `${p.on}: services ${p.pinnedAlsoBy} and ${p.service} are both pinned to fwmark ${p.mark}`;
  if (p.foreignOn.length > 0)
    return `${p.foreignOn.join(", ")}: pinned fwmark ${p.mark} of service ${p.service} is already set by a rule lvsplay does not own`;
  return undefined;
}

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
      const problem = pinnedMarkProblem({
        service: svc.name,
        mark,
        on: director,
        ...pinnedAlsoBy(Object.entries(perDirector), mark),
        foreignOn: usedOnHost[director]?.has(mark) ? [director] : [],
      });
      if (problem !== undefined) {
        errors.push(problem);
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
  /** Service → its mark, in allocation order. */
  const taken: [string, number][] = [];
  const isTaken = (mark: number) => taken.some(([, m]) => m === mark);
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
      // Earlier services hold only pinned marks equal to this one (unpinned ones skip every pinned mark).
      const problem = pinnedMarkProblem({
        service: svc.name,
        mark,
        on: "every director",
        ...pinnedAlsoBy(taken, mark),
        foreignOn: foreignAnywhere(mark),
      });
      if (problem !== undefined) {
        errors.push(problem);
        continue;
      }
    } else {
      while (pinned.has(next) || isTaken(next) || foreignAnywhere(next).length > 0) next++;
      if (next > MAX_MARK) {
        errors.push(`no free fwmark left for service ${svc.name}`);
        continue;
      }
      mark = next++;
    }
    taken.push([svc.name, mark]);
    for (const d of directors) marks[d]![svc.name] = mark;
  }
  return { marks, errors };
}
