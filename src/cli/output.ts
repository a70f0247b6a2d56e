// Picks the renderer: JSON for machines, listr2 in a terminal, plain lines otherwise.
import type { EventBus } from "../engine/events.js";
import { jsonRenderer } from "../render/json.js";
import { listrRenderer } from "../render/listr.js";
import { plainRenderer } from "../render/plain.js";

export function attachRenderer(
  events: EventBus,
  flags: { json?: boolean; plain?: boolean; diff?: boolean },
): void {
  const diff = flags.diff ?? false;
  const line = (text: string) => process.stdout.write(`${text}\n`);
  if (flags.json) {
    events.subscribe(jsonRenderer(line));
    // Progress still goes somewhere a human can see it without breaking the JSON on stdout.
    events.subscribe(plainRenderer({ diff, write: (text) => process.stderr.write(`${text}\n`) }));
  } else if (process.stdout.isTTY && !flags.plain && !process.env["CI"]) {
    events.subscribe(listrRenderer({ diff, write: line }));
  } else {
    events.subscribe(plainRenderer({ diff, write: line }));
  }
}
