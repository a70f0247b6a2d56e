// `--serial auto`: directors one at a
// time (then every other host in one batch) when the cluster is serving — some
// director holds a VIP — so at most one director changes while the others keep
// the VIP served; all hosts at once when no VIP is held (a first apply: nothing
// to keep served, and one batch is about three times faster than rolling).
import type { SerialSpec } from "../../engine/batches.js";
import { gatherFacts } from "../../engine/gather.js";
import type { RunHooks } from "../../engine/hooks.js";
import { mapBounded } from "../../engine/limit.js";
import { factRequest } from "../../engine/types.js";
import { vipHoldingFact } from "../../facts/vip-holding.js";
import type { Inventory } from "../../inventory/model.js";
import { describeHolders, holdersOf } from "./drain-policy.js";
import { isDirector, lvsOf } from "./shared.js";

export const DIRECTORS_ONE_AT_A_TIME: SerialSpec = { kind: "one-at-a-time", group: "directors" };

export function rollingDefault(inventory: Inventory, forks: number): NonNullable<RunHooks["defaultSerial"]> {
  const vips = [...new Set(lvsOf(inventory).services.map((s) => s.vip))];
  return async (ctx) => {
    const directors = ctx.hosts.filter(isDirector);
    if (directors.length < 2) return undefined;
    const req = factRequest(vipHoldingFact, ...vips);
    const held = new Map<string, readonly string[]>();
    await mapBounded(directors, forks, async (d) => {
      try {
        held.set(d.name, (await gatherFacts(await ctx.connect(d.name), [req])).get(req).held);
      } catch {
        // Unreachable or unreadable: the run reports it; it holds nothing we can count on.
      }
    });
    const holders = holdersOf(vips, held);
    const serving = [...holders.values()].some((h) => h.length > 0);
    await ctx.events.emit({
      type: "batching",
      detail: serving
        ? `directors one at a time, then the other hosts (serving: ${describeHolders(holders)}; --serial auto)`
        : "all hosts at once (no director holds a VIP: nothing to keep served)",
    });
    return serving ? DIRECTORS_ONE_AT_A_TIME : undefined;
  };
}
