// Picks the renderer: JSON for machines, listr2 in a terminal, plain lines otherwise.
import type { EventBus } from "../engine/events.js";
import { jsonRenderer } from "../render/json.js";
import { plainRenderer } from "../render/plain.js";

export async function attachRenderer(
  events: EventBus,
  flags: { json?: boolean; plain?: boolean; diff?: boolean },
): Promise<void> {
  const diff = flags.diff ?? false;
  const line = (text: string) => process.stdout.write(`${text}\n`);
  if (flags.json) {
    events.subscribe(jsonRenderer(line));
    // Progress still goes somewhere a human can see it without breaking the JSON on stdout.
    events.subscribe(plainRenderer({ diff, write: (text) => process.stderr.write(`${text}\n`) }));
  } else if (process.stdout.isTTY && !flags.plain && !process.env["CI"]) {
    // listr2 loads only for a terminal: cron and CI runs skip its start-up cost.
    const { listrRenderer } = await import("../render/listr.js");
    events.subscribe(listrRenderer({ diff, write: line }));
  } else {
    events.subscribe(plainRenderer({ diff, write: line }));
  }
}
