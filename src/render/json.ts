// --json: one JSON object at the end of the run, for machines.
import type { EngineEvent, EventListener } from "../engine/events.js";
import { redactSecrets } from "./redact.js";

export function jsonRenderer(
  write: (text: string) => void,
  extra: () => Record<string, unknown> = () => ({}),
): EventListener {
  let check = false;
  let playbook = "";
  const unreachable: Record<string, string> = {};
  const batches: (readonly string[])[] = [];
  const drains: Omit<Extract<EngineEvent, { type: "drain" }>, "type">[] = [];
  const postponed: Omit<Extract<EngineEvent, { type: "postponed" }>, "type">[] = [];
  return (event: EngineEvent) => {
    if (event.type === "batch-end") batches.push(event.hosts);
    if (event.type === "postponed") {
      const { type: _, ...p } = event;
      postponed.push(p);
    }
    if (event.type === "drain") {
      const { type: _, ...drain } = event;
      drains.push(drain);
    }
    if (event.type === "run-start") {
      check = event.check;
      playbook = event.playbook;
    }
    if (event.type === "host-unreachable") unreachable[event.host] = event.error;
    if (event.type !== "run-end") return;
    write(
      JSON.stringify(
        {
          playbook,
          check,
          recap: event.recap,
          results: event.results,
          /** Why each unreachable host could not be reached. */
          unreachable,
          ...(event.aborted ? { aborted: event.aborted } : {}),
          ...(event.interrupted ? { interrupted: event.interrupted } : {}),
          /** The rolling apply: hosts that ran per batch (absent: one batch). */
          ...(batches.length > 0 ? { batches } : {}),
          /** --serial auto: hosts that left the shared batch to run alone (and why). */
          ...(postponed.length > 0 ? { postponed } : {}),
          /** VIP hand-overs (operations/lvs/drain.ts), in order: where each VIP was after each phase. */
          ...(drains.length > 0 ? { drains } : {}),
          durationMs: event.durationMs,
          /** Per host: connections, commands (round trips) per stage, bytes on the wire. */
          stats: event.stats,
          ...extra(),
        },
        (_key, value: unknown) => (typeof value === "string" ? redactSecrets(value) : value),
        2,
      ),
    );
  };
}
