// What the drain (drain.ts) reads and how it waits: which director holds which
// VIP, whether a client gets answers through the VIPs, and a bounded,
// interruptible poll that names what it waited for. Reads only: nothing here
// changes a host.
import { gatherFacts } from "../../engine/gather.js";
import type { HostHookContext } from "../../engine/hooks.js";
import { factRequest } from "../../engine/types.js";
import { httpProbeRequest } from "../../facts/http-probe.js";
import { type VipHoldingFact, vipHoldingFact } from "../../facts/vip-holding.js";
import type { Inventory } from "../../inventory/model.js";
import { directorNames } from "../../lvs/index.js";
import { vrrpSettleSec } from "../../lvs/keepalived/model.js";
import { holdersOf } from "./drain-policy.js";
import { isClient, lvsOf } from "./shared.js";

const PROBE_REQUESTS = 3;
const POLL_MS = 200;

/** A wait that reached its bound (an interruption is a plain Error). */
export class WaitTimedOut extends Error {}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

type Ctx = HostHookContext;

export function drainReads(
  inventory: Inventory,
  options: { readonly control?: { readonly stopping: string | undefined } },
) {
  const lvs = lvsOf(inventory);
  const vips = [...new Set(lvs.services.map((s) => s.vip))];
  const urls = lvs.services.filter((s) => s.protocol === "tcp").map((s) => `http://${s.vip}:${s.ports[0]}/`);
  const directors = directorNames(inventory);
  const clients = inventory.hosts.filter(isClient);
  const settleSec = vrrpSettleSec(lvs);
  // Each poll reads the directors and a client: on slow hosts (timeout_scale) it takes that much longer.
  const slowest = Math.max(
    1,
    ...inventory.hosts
      .filter((h) => directors.includes(h.name) || isClient(h))
      .map((h) => h.connection.timeoutScale),
  );
  /** Every wait's bound: generous against a loaded machine, and named when it is reached. */
  const boundMs = Math.max(30, 4 * settleSec) * slowest * 1000;

  const holding = async (ctx: Ctx, host: string) => {
    const req = factRequest(vipHoldingFact, ...vips);
    return (await gatherFacts(await ctx.connect(host), [req])).get(req);
  };
  /** Every director's VIP state, read once each (undefined: it cannot be read). */
  const readDirectors = async (ctx: Ctx): Promise<Map<string, VipHoldingFact | undefined>> =>
    new Map(
      await Promise.all(
        directors.map(async (d) => [d, await holding(ctx, d).catch(() => undefined)] as const),
      ),
    );
  /** Holders per VIP in one reading (a director that cannot be read holds nothing we can count on). */
  const holdersIn = (states: ReadonlyMap<string, VipHoldingFact | undefined>) =>
    holdersOf(vips, new Map([...states].map(([d, st]) => [d, st?.held ?? []])));
  const allHolders = async (ctx: Ctx) => holdersIn(await readDirectors(ctx));
  /** Answers through the VIPs from the first client that can be read: "3/3 from probe", or why not. */
  const probe = async (ctx: Ctx): Promise<{ ok: boolean; detail: string }> => {
    if (urls.length === 0) return { ok: true, detail: "no TCP service to request" };
    for (const client of clients) {
      try {
        const reqs = urls.map((u) => httpProbeRequest(client, u, PROBE_REQUESTS));
        const facts = await gatherFacts(await ctx.connect(client.name), reqs);
        const answered = reqs.map((r) => facts.get(r).answers.filter((a) => a !== "-").length);
        const total = answered.reduce((a, b) => a + b, 0);
        return {
          ok: total === reqs.length * PROBE_REQUESTS,
          detail: `${total}/${reqs.length * PROBE_REQUESTS} requests answered through the VIP from ${client.name}`,
        };
      } catch {
        // Try the next client.
      }
    }
    return {
      ok: true,
      detail:
        clients.length === 0
          ? "no client host in the inventory: checked that a peer holds the VIP, not that it answers"
          : `no client could be read (${clients.map((c) => c.name).join(", ")}): checked that a peer holds the VIP, not that it answers`,
    };
  };
  /** Polls until `done` (returns what it saw), bounded and interruptible; throws naming what it waited for. */
  const waitUntil = async <T>(
    what: string,
    read: () => Promise<T>,
    done: (v: T) => boolean,
    opts: { interruptible?: boolean; describe?: (v: T) => string; boundMs?: number } = {},
  ): Promise<T> => {
    const started = Date.now();
    const bound = opts.boundMs ?? boundMs;
    for (;;) {
      const seen = await read();
      if (done(seen)) return seen;
      const last = opts.describe ? ` (last seen: ${opts.describe(seen)})` : "";
      if (opts.interruptible !== false && options.control?.stopping)
        throw new Error(`interrupted (${options.control.stopping}) while waiting for ${what}${last}`);
      if (Date.now() - started > bound)
        throw new WaitTimedOut(`gave up after ${seconds(bound)} waiting for ${what}${last}`);
      await sleep(POLL_MS);
    }
  };

  return { vips, settleSec, slowest, holding, readDirectors, holdersIn, allHolders, probe, waitUntil };
}
