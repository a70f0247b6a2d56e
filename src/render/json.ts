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
  let batching: string | undefined;
  const batches: (readonly string[])[] = [];
  const drains: Omit<Extract<EngineEvent, { type: "drain" }>, "type">[] = [];
  return (event: EngineEvent) => {
    if (event.type === "batching") batching = event.detail;
    if (event.type === "batch-start") batches.push(event.hosts);
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
          /** The rolling apply: hosts per batch (absent: one batch), and why when --serial did not say. */
          ...(batches.length > 0 ? { batches } : {}),
          ...(batching ? { batching } : {}),
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
