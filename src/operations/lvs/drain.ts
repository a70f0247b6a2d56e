// The rolling apply's drain: before a change that would interrupt the traffic of
// a director holding a VIP (keepalived reload/restart, mark-rule rewrite), the
// VIP is handed to a peer, the run waits until a peer holds it and a client of
// the inventory gets answers through it, the changes are applied, and the
// director is restored after the host's last stage of its batch that may
// disrupt its traffic (mark rules, then keepalived.conf: one hand-over, not one
// per stage); the restore ends once every VIP is held exactly once.
//
// Two ways, both a command held open on the run's own SSH connection
// (Transport.hold) that undoes itself when released — or when the connection
// ends: a killed controller, a second Ctrl-C or a dropped network never leave a
// director drained.
// - By priority (where the director's live lvsplay.conf tracks DRAIN_TRACK's
//   file, and peers preempt): write 1 to the file, keepalived drops the
//   priority to 1, a peer preempts. The director keeps its VIP and its IPVS
//   services until the peer has taken over, so there is no moment when the VIP
//   is on nobody (or on a director whose services are gone). keepalived keeps
//   running, as a BACKUP (and sync backup): the stage's reload/restart runs as
//   planned, the restarted daemon reads the file and stays low. Restore:
//   remove the file.
// - By stopping keepalived (under nopreempt, or before lvsplay.conf tracks the
//   file, or when the priority did not move the VIP): the priority-0 advert
//   makes a peer take over after VRRP's skew time, while the checker has
//   already removed the stopped director's IPVS services — requests that reach
//   it meanwhile are reset. keepalived starts again when the command is
//   released, with whatever configuration the stage wrote.

import { gatherFacts } from "../../engine/gather.js";
import type { ChangeVerdict, HostHookContext, RunHooks } from "../../engine/hooks.js";
import { type Change, factRequest } from "../../engine/types.js";
import { fileFact } from "../../facts/file.js";
import { type ServiceFact, serviceFact } from "../../facts/service.js";
import type { Inventory } from "../../inventory/model.js";
import { directorNames } from "../../lvs/index.js";
import { DRAIN_TRACK } from "../../lvs/keepalived/model.js";
import { drainTrackLine } from "../../lvs/keepalived/render.js";
import { shellJoin } from "../../transport/quote.js";
import type { Held, Transport } from "../../transport/types.js";
import { errorMessage } from "../../util/error-message.js";
import { serviceArgv, stopWaitSec } from "../service.js";
import { emitDrain, stageNotes } from "./drain-events.js";
import {
  afterKeepalivedWrite,
  carriedOutByDrain,
  describeHolders,
  disruptsTraffic,
  inPlaceReason,
  keepDrained,
  type PeerState,
  planHandOver,
  type StageKeepalived,
} from "./drain-policy.js";
import { drainReads, seconds, WaitTimedOut } from "./drain-reads.js";
import { drainScript, priorityDrainScript, READY } from "./drain-scripts.js";
import { lvsOf } from "./shared.js";

export interface DrainOptions {
  /** Asked while waiting: a run that is stopping (SIGINT/SIGTERM) gives up the hand-over and restores. */
  readonly control?: { readonly stopping: string | undefined };
}

type DrainMethod = "priority" | "stop";

interface Drained {
  readonly held: Held;
  readonly method: DrainMethod;
  readonly vips: readonly string[];
  readonly since: number;
  /** The context it was drained in: the restore after the batch (afterBatch) has no host context of its own. */
  readonly ctx: HostHookContext;
}

/** The drain as run hooks (apply mode only; check mode and audit never call them). */
export function drainHooks(inventory: Inventory, options: DrainOptions = {}): RunHooks {
  const lvs = lvsOf(inventory);
  const { vips, settleSec, slowest, holding, readDirectors, holdersIn, allHolders, probe, waitUntil } =
    drainReads(inventory, options);
  const directors = directorNames(inventory);
  // A restored director preempts a lower-priority master only after its next
  // advert, the preempt delay and the master-down interval plus skew: two
  // advert intervals more than the settle time, so a take-back is waited for.
  const takeBackSec = settleSec + 2 * lvs.vrrp.advertIntSec;
  const drained = new Map<string, Drained>();
  const notes = stageNotes();
  /** Per host, what its current stage wrote to lvsplay's keepalived files: a reload loads exactly that. */
  const written = new Map<string, StageKeepalived>();

  type Ctx = HostHookContext;

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

  /** Which way to drain: by priority where the host's live lvsplay.conf tracks the drain file (and peers preempt). */
  const methodFor = async (transport: Transport): Promise<{ service: ServiceFact; byPriority: boolean }> => {
    const serviceReq = factRequest(serviceFact, "keepalived");
    const ownReq = factRequest(fileFact, lvs.keepalived.ownPath);
    const facts = await gatherFacts(transport, [serviceReq, ownReq]);
    let tracks = false;
    try {
      tracks = facts.get(ownReq).content?.includes(drainTrackLine) ?? false;
    } catch {
      // Unreadable (a symlink, say): the keepalived stage says why; drain by stopping.
    }
    return { service: facts.get(serviceReq), byPriority: tracks && !lvs.vrrp.nopreempt };
  };

  const drain = async (ctx: Ctx, held: readonly string[]): Promise<void> => {
    const host = ctx.host.name;
    const started = Date.now();
    const handOver = planHandOver(host, held, await peerStates(ctx, host));
    if (handOver.kind === "refuse") throw new Error(handOver.reason);
    if (handOver.kind === "only-director") {
      await emitDrain(
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
    if (!transport.hold) throw new Error(`the transport to ${host} cannot hold a command open`);
    const hold = transport.hold.bind(transport);
    const { service, byPriority } = await methodFor(transport);
    const onPeerWait = `a peer (${handOver.peers.join(", ")}) to hold ${held.join(", ")}`;
    // Handed over once a peer holds every VIP *and* this host let go: after a
    // preemption both hold it for a moment, until the higher advert reaches it.
    const peerHolds = (h: Map<string, string[]>) =>
      held.every((v) => {
        const hs = h.get(v) ?? [];
        return !hs.includes(host) && hs.some((d) => handOver.peers.includes(d));
      });

    let onPeer: Map<string, string[]> | undefined;
    let how = "";
    if (byPriority) {
      const lowered = await hold(
        { argv: ["sh", "-c", priorityDrainScript(DRAIN_TRACK.file), "lvsplay-drain"], become: true },
        READY,
      );
      if (!lowered.running) {
        how = `; could not write ${DRAIN_TRACK.file} (${(lowered.errors ?? lowered.output).trim().slice(0, 200) || "no output"}), so keepalived was stopped instead`;
      } else {
        drained.set(host, { held: lowered, method: "priority", vips: held, since: started, ctx });
        try {
          // A peer preempts after its preempt delay and VRRP's master-down interval; bounded well above that.
          onPeer = await waitUntil(
            `${onPeerWait} after ${host}'s priority was lowered (${DRAIN_TRACK.file})`,
            () => allHolders(ctx),
            peerHolds,
            { describe: describeHolders, boundMs: Math.max(30, 2 * settleSec) * slowest * 1000 },
          );
          how = `priority lowered (${DRAIN_TRACK.file}); `;
        } catch (error) {
          if (!(error instanceof WaitTimedOut)) throw error;
          // Not moved (a peer that does not preempt, or a keepalived that has not loaded this file yet): stop it instead.
          drained.delete(host);
          await lowered.release();
          // A run told to stop meanwhile does not go on to stop keepalived.
          if (options.control?.stopping)
            throw new Error(
              `interrupted (${options.control.stopping}) before draining ${host} by stopping keepalived`,
            );
          how = `; the lowered priority did not move the VIP (${errorMessage(error)}), so keepalived was stopped instead`;
        }
      }
    }
    if (onPeer === undefined) {
      const stop = shellJoin(serviceArgv(service, "keepalived", "stop"));
      const start = shellJoin(serviceArgv(service, "keepalived", "start"));
      const stopped = await hold(
        {
          argv: ["sh", "-c", drainScript(stop, start), "lvsplay-drain", String(stopWaitSec(ctx.host))],
          become: true,
        },
        READY,
      );
      if (!stopped.running)
        throw new Error(
          `could not stop keepalived on ${host} to hand ${held.join(", ")} over: ${stopped.output.trim().slice(0, 300) || "no output"}`,
        );
      drained.set(host, { held: stopped, method: "stop", vips: held, since: started, ctx });
      onPeer = await waitUntil(
        `${onPeerWait} after keepalived was stopped on ${host}`,
        () => allHolders(ctx),
        peerHolds,
        { describe: describeHolders },
      );
      how = `keepalived stopped${how}; `;
    }
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
    await emitDrain(
      ctx,
      "drained",
      onPeer,
      `${how}handed over in ${seconds(Date.now() - started)}: ${describeHolders(onPeer)}; ${answered}`,
      started,
    );
  };

  /**
   * Undoes a drain (priority back, or keepalived started again) and waits until
   * the director has settled: keepalived runs there, every VIP is held exactly
   * once, and the director either holds one (it took it back) or had its
   * election window (it stays backup: lower priority, or nopreempt).
   */
  const restore = async (host: string): Promise<void> => {
    const d = drained.get(host);
    if (!d) return;
    drained.delete(host);
    const ctx = d.ctx;
    const started = Date.now();
    await d.held.release();
    const released = Date.now();
    // One reading of every director per poll: its own state and the holders come from it.
    const { holders } = await waitUntil(
      `keepalived to run on ${host} again and ${vips.join(", ")} to be held exactly once`,
      async () => {
        const states = await readDirectors(ctx);
        return { mine: states.get(host), holders: holdersIn(states) };
      },
      ({ mine, holders: h }) =>
        mine !== undefined &&
        mine.keepalivedUptimeSec !== null &&
        [...h.values()].every((hs) => hs.length === 1) &&
        // Its election window counts from the restore, or from a restart during the drain if that was later.
        (mine.held.length > 0 ||
          Math.min(mine.keepalivedUptimeSec, (Date.now() - released) / 1000) >= takeBackSec),
      {
        // An interrupted run still restores: this wait is what makes sure it did.
        interruptible: false,
        describe: ({ mine, holders: h }) =>
          `${describeHolders(h)}; keepalived on ${host} ${mine?.keepalivedUptimeSec == null ? "not running" : `running for ${mine.keepalivedUptimeSec} s`}`,
      },
    );
    const undone =
      d.method === "priority" ? `priority back on ${host}` : `keepalived running on ${host} again`;
    await emitDrain(
      ctx,
      "restored",
      holders,
      `${undone}; ${describeHolders(holders)} (held once) after ${seconds(Date.now() - started)}; ${host} was drained for ${seconds(Date.now() - d.since)}`,
      d.since,
    );
  };

  /** A change of a disrupting kind that this time is not: said with where the VIPs are, so the output shows none moved. */
  const sayInPlace = async (ctx: Ctx & { readonly change: Change }, why: string) => {
    if (notes.saidFor(ctx.host.name)) return;
    const mine = await holding(ctx, ctx.host.name);
    await notes.once(
      ctx,
      mine.held.length > 0 ? "in-place" : "not-needed",
      `${mine.held.length > 0 ? `${ctx.host.name} keeps ${mine.held.join(", ")}` : `${ctx.host.name} holds no VIP`}: ${ctx.change.summary}: ${why}; changed in place`,
    );
  };

  return {
    beforeChange: async (ctx): Promise<ChangeVerdict | undefined> => {
      const host = ctx.host.name;
      if (!directors.includes(host)) return undefined;
      const wroteBefore = written.get(host) ?? "nothing";
      written.set(host, afterKeepalivedWrite(wroteBefore, ctx.change));
      if (!drained.has(host)) {
        const inPlace = inPlaceReason(ctx.change, wroteBefore);
        if (inPlace !== undefined) {
          await sayInPlace(ctx, inPlace);
          return undefined;
        }
        if (!disruptsTraffic(ctx.change, wroteBefore)) return undefined;
        const mine = await holding(ctx, host);
        if (mine.held.length === 0) {
          await notes.once(
            ctx,
            "not-needed",
            `${host} holds no VIP${mine.keepalivedUptimeSec === null ? " (keepalived is not running)" : ""}: changed in place`,
          );
          return undefined;
        }
        await drain(ctx, mine.held);
        if (!drained.has(host)) return undefined;
      }
      // The drain file is the drain's own while it runs: it removes it when it ends.
      if (drained.get(host)?.method === "priority" && ctx.change.cause.kind === "drain-left-behind")
        return { deferred: "the drain in progress removes its file when it ends" };
      // Only a stopped keepalived has its start/reload/restart carried out by the drain.
      return drained.get(host)?.method === "stop" && carriedOutByDrain(ctx.change)
        ? {
            deferred:
              "carried out by the drain: keepalived starts again (with the configuration written meanwhile) when the drain ends",
          }
        : undefined;
    },
    afterHostStage: async (ctx) => {
      notes.stageEnded(ctx.host.name);
      written.delete(ctx.host.name);
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
