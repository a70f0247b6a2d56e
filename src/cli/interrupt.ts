// SIGINT/SIGTERM during an apply: the run starts no new change, lets the
// changes in flight finish (each is bounded by its own time limit), runs the
// handlers of changes that happened (a changed keepalived.conf is never left
// un-reloaded), prints the recap and exits 130/143. A second signal exits at
// once (the operator insists; a change in flight may then be cut off).
import type { EventBus } from "../engine/events.js";
import { ExitCode } from "../errors.js";

export interface Interrupts {
  /** The signal that asked the run to stop, once one did (the engine's RunControl). */
  readonly stopping: string | undefined;
  /** The exit code the signal calls for, if any. */
  exitCode(): ExitCode | undefined;
  untrap(): void;
}

const CODES: Record<string, ExitCode> = { SIGINT: ExitCode.interrupted, SIGTERM: ExitCode.terminated };

export function trapInterrupts(events: EventBus): Interrupts {
  let stopping: string | undefined;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(CODES[signal] ?? ExitCode.interrupted);
    stopping = signal;
    void events.emit({
      type: "interrupt",
      signal,
      detail:
        "no new change starts; changes in flight and the handlers they notified finish (again to exit at once)",
    });
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return {
    get stopping() {
      return stopping;
    },
    exitCode: () => (stopping ? CODES[stopping] : undefined),
    untrap: () => {
      process.off("SIGINT", handler);
      process.off("SIGTERM", handler);
    },
  };
}
