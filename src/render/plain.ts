// Plain lines for CI logs and pipes: one line per task result, recap at the end.
import pc from "picocolors";
import type { EngineEvent, EventListener } from "../engine/events.js";
import { describeChange } from "./diff.js";
import { recapLines, resultDetail, resultLine, runEventLines } from "./format.js";

export interface PlainOptions {
  readonly diff: boolean;
  readonly write: (line: string) => void;
}

export function plainRenderer(opts: PlainOptions): EventListener {
  let check = false;
  return (event: EngineEvent) => {
    switch (event.type) {
      case "run-start":
        check = event.check;
        opts.write(
          pc.bold(`PLAYBOOK ${event.playbook}${check ? " (check mode: nothing will be changed)" : ""}`),
        );
        break;
      case "stage-start":
        opts.write("");
        opts.write(pc.bold(`STAGE [${event.stage}] on ${event.hosts.join(", ") || "no hosts"}`));
        break;
      case "task-result": {
        const r = event.result;
        opts.write(resultLine(r, check));
        for (const l of resultDetail(r)) opts.write(l);
        if (opts.diff)
          for (const c of r.changes) for (const l of describeChange(c)) opts.write(`    ${colourDiff(l)}`);
        break;
      }
      case "stage-end":
        opts.write(pc.dim(`  (${event.stage}: ${(event.durationMs / 1000).toFixed(2)} s)`));
        break;
      case "host-unreachable":
        opts.write(`${pc.red("unreachable:")} [${event.host}] ${event.error}`);
        break;
      case "batching":
      case "batch-start":
      case "batch-end":
      case "data-read":
      case "data-read-failed":
      case "drain":
      case "lock":
      case "interrupt":
        for (const l of runEventLines(event)) opts.write(l);
        break;
      case "warning":
        opts.write(`${pc.magenta("warning:")} ${event.host ? `[${event.host}] ` : ""}${event.message}`);
        break;
      case "run-end":
        opts.write("");
        if (event.aborted) opts.write(pc.red(`aborted: ${event.aborted}`));
        if (event.interrupted)
          opts.write(pc.yellow(`interrupted by ${event.interrupted}: no new change was started`));
        for (const l of recapLines(event.recap)) opts.write(l);
        opts.write(`finished in ${(event.durationMs / 1000).toFixed(2)} s`);
        break;
      default:
        break;
    }
  };
}

function colourDiff(line: string): string {
  if (line.startsWith("+") && !line.startsWith("+++")) return pc.green(line);
  if (line.startsWith("-") && !line.startsWith("---")) return pc.red(line);
  if (line.startsWith("@@")) return pc.cyan(line);
  return line;
}
