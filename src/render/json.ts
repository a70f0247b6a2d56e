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
  return (event: EngineEvent) => {
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
