// The rolling apply's drain: before a change that would interrupt the traffic of
// a director holding a VIP (keepalived reload/restart, mark-rule rewrite), the
// VIP is handed to a peer, the run waits until a peer holds it and a client of
// the inventory gets answers through it, the changes are applied, and
// keepalived is started again after the host's last stage of its batch that
// may disrupt its traffic (mark rules, then keepalived.conf: one hand-over, not
// one per stage); the restore ends once every VIP is held exactly once.
//
// How: keepalived is stopped on the holder (it sends a priority-0 advert, so a
// peer takes over at once, with or without nopreempt) by a command held open on
// the run's own SSH connection (Transport.hold) that starts keepalived again
// when released — or when the connection ends: a killed controller, a second
// Ctrl-C or a dropped network never leave a director with keepalived stopped,
// and nothing temporary is ever written on the host. A lowered priority by
// reload was the other way: it needs a temporary keepalived.conf (left behind
// by an interruption), does not move the VIP at all under nopreempt, and is
// itself a reload of the holder.

import { gatherFacts } from "../../engine/gather.js";
import type { ChangeVerdict, HostHookContext, RunHooks } from "../../engine/hooks.js";
import { factRequest } from "../../engine/types.js";
import { httpProbeRequest } from "../../facts/http-probe.js";
import { serviceFact } from "../../facts/service.js";
import { vipHoldingFact } from "../../facts/vip-holding.js";
import type { Inventory } from "../../inventory/model.js";
import { directorNames } from "../../lvs/index.js";
import { vrrpSettleSec } from "../../lvs/keepalived/model.js";
import { shellJoin } from "../../transport/quote.js";
import type { Held } from "../../transport/types.js";
import { errorMessage } from "../../util/error-message.js";
import { serviceArgv, stopWaitSec } from "../service.js";
import {
  carriedOutByDrain,
  describeHolders,
  disruptsTraffic,
  holdersOf,
  keepDrained,
  type PeerState,
  planHandOver,
} from "./drain-policy.js";
import { isClient, lvsOf } from "./shared.js";

const READY = "LVSPLAY-DRAINED";
const PROBE_REQUESTS = 3;
const POLL_MS = 200;

export interface DrainOptions {
  /** Asked while waiting: a run that is stopping (SIGINT/SIGTERM) gives up the hand-over and restores. */
  readonly control?: { readonly stopping: string | undefined };
}

interface Drained {
  readonly held: Held;
  readonly vips: readonly string[];
  readonly since: number;
  /** The context it was drained in: the restore after the batch (afterBatch) has no host context of its own. */
  readonly ctx: HostHookContext;
}

/**
 * The held command (argument $1: seconds the stop may take): stop keepalived
 * (waiting, bounded, for the daemon to be gone), say so, wait for the end of
 * stdin, then start keepalived unless something already did. Output after the
 * wait goes nowhere: the connection may be gone by then.
 */
export const drainScript = (stop: string, start: string): string =>
  [
    `${stop} 2>&1`,
    'i=0; n=$(( $1 * 10 )); while pgrep -x keepalived >/dev/null && [ "$i" -lt "$n" ]; do sleep 0.1; i=$((i+1)); done',
    `if pgrep -x keepalived >/dev/null; then echo "keepalived did not stop within $1 s"; ${start} >/dev/null 2>&1; exit 1; fi`,
    `echo ${READY}`,
    "cat >/dev/null",
    "exec >/dev/null 2>&1 </dev/null",
    `pgrep -x keepalived >/dev/null || ${start}`,
  ].join("\n");

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** The drain as run hooks (apply mode only; check mode and audit never call them). */
export function drainHooks(inventory: Inventory, options: DrainOptions = {}): RunHooks {
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
  const drained = new Map<string, Drained>();
  const saidThisStage = new Set<string>();

  type Ctx = HostHookContext;
  const holding = async (ctx: Ctx, host: string) => {
    const req = factRequest(vipHoldingFact, ...vips);
    return (await gatherFacts(await ctx.connect(host), [req])).get(req);
  };
  /** Held VIPs per director (a director that cannot be read holds nothing we can count on). */
  const allHolders = async (ctx: Ctx) => {
    const held = new Map<string, readonly string[]>();
    await Promise.all(
      directors.map(async (d) => {
        try {
          held.set(d, (await holding(ctx, d)).held);
        } catch {
          held.set(d, []);
        }
      }),
    );
    return holdersOf(vips, held);
  };
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
    opts: { interruptible?: boolean; describe?: (v: T) => string } = {},
  ): Promise<T> => {
    const started = Date.now();
    for (;;) {
      const seen = await read();
      if (done(seen)) return seen;
      const last = opts.describe ? ` (last seen: ${opts.describe(seen)})` : "";
      if (opts.interruptible !== false && options.control?.stopping)
        throw new Error(`interrupted (${options.control.stopping}) while waiting for ${what}${last}`);
      if (Date.now() - started > boundMs)
        throw new Error(`gave up after ${seconds(boundMs)} waiting for ${what}${last}`);
      await sleep(POLL_MS);
    }
  };

  const peerStates = async (ctx: Ctx, host: string): Promise<PeerState[]> =>
    Promise.all(
      directors
        .filter((d) => d !== host)
        .map(async (name): Promise<PeerState> => {
          if (drained.has(name)) return { name, unfit: "drained itself" };
          try {
            const state = await holding(ctx, name);
            return state.keepalivedUptimeSec === null
              ? { name, unfit: "keepalived is not running" }
              : { name };
          } catch (error) {
            return { name, unfit: `cannot be read (${errorMessage(error)})` };
          }
        }),
    );

  const drain = async (ctx: Ctx, held: readonly string[]): Promise<void> => {
    const host = ctx.host.name;
    const started = Date.now();
    const handOver = planHandOver(host, held, await peerStates(ctx, host));
    if (handOver.kind === "refuse") throw new Error(handOver.reason);
    if (handOver.kind === "only-director") {
      await emit(
        ctx,
        "in-place",
        await allHolders(ctx),
        `${host} is the only director: ${held.join(", ")} cannot be handed over; changed in place`,
        started,
      );
      return;
    }
    const before = await probe(ctx);
    const transport = await ctx.connect(host);
    const service = (await gatherFacts(transport, [factRequest(serviceFact, "keepalived")])).get(
      factRequest(serviceFact, "keepalived"),
    );
    const stop = shellJoin(serviceArgv(service, "keepalived", "stop"));
    const start = shellJoin(serviceArgv(service, "keepalived", "start"));
    if (!transport.hold) throw new Error(`the transport to ${host} cannot hold a command open`);
    const hold = await transport.hold(
      {
        argv: ["sh", "-c", drainScript(stop, start), "lvsplay-drain", String(stopWaitSec(ctx.host))],
        become: true,
      },
      READY,
    );
    if (!hold.running)
      throw new Error(
        `could not stop keepalived on ${host} to hand ${held.join(", ")} over: ${hold.output.trim().slice(0, 300) || "no output"}`,
      );
    drained.set(host, { held: hold, vips: held, since: started, ctx });
    const onPeer = await waitUntil(
      `a peer (${handOver.peers.join(", ")}) to hold ${held.join(", ")} after keepalived was stopped on ${host}`,
      () => allHolders(ctx),
      (h) => held.every((v) => (h.get(v) ?? []).some((d) => d !== host && handOver.peers.includes(d))),
      { describe: describeHolders },
    );
    const answered = before.ok
      ? (
          await waitUntil(
            `answers through ${held.join(", ")} from a client after the hand-over`,
            () => probe(ctx),
            (p) => p.ok,
            { describe: (p) => p.detail },
          )
        ).detail
      : `${before.detail} before the hand-over already: not waited for`;
    await emit(
      ctx,
      "drained",
      onPeer,
      `handed over in ${seconds(Date.now() - started)}: ${describeHolders(onPeer)}; ${answered}`,
      started,
    );
  };

  /**
   * Starts keepalived again on a drained director and waits until it has
   * settled: keepalived runs there again, every VIP is held exactly once, and
   * the director either holds one (it took it back) or had its election window
   * (it stays backup: lower priority, or nopreempt).
   */
  const restore = async (host: string): Promise<void> => {
    const d = drained.get(host);
    if (!d) return;
    drained.delete(host);
    const ctx = d.ctx;
    const started = Date.now();
    await d.held.release();
    // Set by every read before the wait looks at it (no read of its own first: one round trip less).
    let mine: Awaited<ReturnType<typeof holding>> | undefined;
    const holders = await waitUntil(
      `keepalived to run on ${host} again and ${vips.join(", ")} to be held exactly once`,
      async () => {
        mine = await holding(ctx, host);
        return allHolders(ctx);
      },
      (h) =>
        mine !== undefined &&
        mine.keepalivedUptimeSec !== null &&
        [...h.values()].every((hs) => hs.length === 1) &&
        (mine.held.length > 0 || mine.keepalivedUptimeSec >= settleSec),
      {
        // An interrupted run still restores: this wait is what makes sure it did.
        interruptible: false,
        describe: (h) =>
          `${describeHolders(h)}; keepalived on ${host} ${mine?.keepalivedUptimeSec == null ? "not running" : `running for ${mine.keepalivedUptimeSec} s`}`,
      },
    );
    await emit(
      ctx,
      "restored",
      holders,
      `keepalived running on ${host} again; ${describeHolders(holders)} (held once) after ${seconds(Date.now() - started)}; ${host} was drained for ${seconds(Date.now() - d.since)}`,
      d.since,
    );
  };

  const emit = (
    ctx: Ctx,
    phase: "drained" | "restored" | "in-place" | "not-needed",
    holders: Map<string, string[]>,
    detail: string,
    since: number,
  ) =>
    ctx.events.emit({
      type: "drain",
      host: ctx.host.name,
      phase,
      vips: Object.fromEntries(holders),
      detail,
      durationMs: Date.now() - since,
    });

  return {
    beforeChange: async (ctx): Promise<ChangeVerdict | undefined> => {
      const host = ctx.host.name;
      if (!directors.includes(host)) return undefined;
      if (!drained.has(host)) {
        if (!disruptsTraffic(ctx.change)) return undefined;
        const mine = await holding(ctx, host);
        if (mine.held.length === 0) {
          if (!saidThisStage.has(host)) {
            saidThisStage.add(host);
            await ctx.events.emit({
              type: "drain",
              host,
              phase: "not-needed",
              vips: {},
              detail: `${host} holds no VIP${mine.keepalivedUptimeSec === null ? " (keepalived is not running)" : ""}: changed in place`,
              durationMs: 0,
            });
          }
          return undefined;
        }
        await drain(ctx, mine.held);
        if (!drained.has(host)) return undefined;
      }
      return carriedOutByDrain(ctx.change)
        ? {
            deferred:
              "carried out by the drain: keepalived starts again (with the configuration written meanwhile) when the drain ends",
          }
        : undefined;
    },
    afterHostStage: async (ctx) => {
      saidThisStage.delete(ctx.host.name);
      const peersInBatch = ctx.batch.filter((h) => h !== ctx.host.name && directors.includes(h)).length;
      if (keepDrained(ctx.failed, ctx.laterCauses, peersInBatch)) return;
      await restore(ctx.host.name);
    },
    afterBatch: async () => {
      const failed = new Map<string, string>();
      for (const host of [...drained.keys()]) {
        try {
          await restore(host);
        } catch (error) {
          failed.set(host, errorMessage(error));
        }
      }
      return failed;
    },
  };
}
