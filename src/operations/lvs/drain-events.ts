// What the rolling apply's drain says, as typed `drain` events: a hand-over
// and its restore with the VIP holders after it, and — once per host and
// stage — why a change needed none ("in-place", "not-needed").
import type { HostHookContext } from "../../engine/hooks.js";

export type DrainPhase = "drained" | "restored" | "in-place" | "not-needed";

export const emitDrain = (
  ctx: HostHookContext,
  phase: DrainPhase,
  holders: ReadonlyMap<string, readonly string[]>,
  detail: string,
  since: number,
) =>
  ctx.events.emit({
    type: "drain",
    host: ctx.host.name,
    phase,
    vips: Object.fromEntries([...holders].map(([vip, hs]) => [vip, [...hs]])),
    detail,
    durationMs: Date.now() - since,
  });

/** One "in-place"/"not-needed" event per host and stage: its first change that would have needed a hand-over says it. */
export function stageNotes() {
  const said = new Set<string>();
  return {
    saidFor: (host: string) => said.has(host),
    once: async (ctx: HostHookContext, phase: "in-place" | "not-needed", detail: string) => {
      if (said.has(ctx.host.name)) return;
      said.add(ctx.host.name);
      await emitDrain(ctx, phase, new Map(), detail, Date.now());
    },
    /** The host's stage ended: its next stage may say again. */
    stageEnded: (host: string) => said.delete(host),
  };
}
