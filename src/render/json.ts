// --json: one JSON object at the end of the run, for machines.
import type { EngineEvent, EventListener } from "../engine/events.js";

export function jsonRenderer(
  write: (text: string) => void,
  extra: () => Record<string, unknown> = () => ({}),
): EventListener {
  let check = false;
  let playbook = "";
  return (event: EngineEvent) => {
    if (event.type === "run-start") {
      check = event.check;
      playbook = event.playbook;
    }
    if (event.type !== "run-end") return;
    write(
      JSON.stringify(
        {
          playbook,
          check,
          recap: event.recap,
          results: event.results,
          ...(event.aborted ? { aborted: event.aborted } : {}),
          durationMs: event.durationMs,
          ...extra(),
        },
        null,
        2,
      ),
    );
  };
}
