// Live progress for terminals: one listr2 list per stage, a line per host that
// shows the task it is on; results and diffs are printed once the stage ends.
import { Listr, type ListrTaskWrapper } from "listr2";
import pc from "picocolors";
import type { EngineEvent, EventListener, TaskResult } from "../engine/events.js";
import { describeChange } from "./diff.js";
import { recapLines, resultDetail, resultLine, runEventLines } from "./format.js";

type HostEnd = "ok" | "changed" | "failed" | "unreachable" | "skipped";

interface HostRow {
  resolve: (status: HostEnd) => void;
  done: Promise<HostEnd>;
  wrapper?: ListrTaskWrapper<unknown, never, never>;
  results: TaskResult[];
}

export function listrRenderer(opts: { diff: boolean; write: (line: string) => void }): EventListener {
  let check = false;
  let rows = new Map<string, HostRow>();
  let running: Promise<unknown> | undefined;

  const row = (host: string): HostRow => {
    let r = rows.get(host);
    if (!r) {
      let resolve!: (s: HostEnd) => void;
      const done = new Promise<HostEnd>((res) => {
        resolve = res;
      });
      r = { resolve, done, results: [] };
      rows.set(host, r);
    }
    return r;
  };

  return async (event: EngineEvent) => {
    switch (event.type) {
      case "run-start":
        check = event.check;
        opts.write(
          pc.bold(`PLAYBOOK ${event.playbook}${check ? " (check mode: nothing will be changed)" : ""}`),
        );
        break;
      case "stage-start": {
        rows = new Map();
        for (const h of event.hosts) row(h);
        const list = new Listr(
          event.hosts.map((host) => ({
            title: host,
            task: async (_ctx: unknown, wrapper: ListrTaskWrapper<unknown, never, never>) => {
              const r = row(host);
              r.wrapper = wrapper;
              const status = await r.done;
              const changed = r.results.filter((x) => x.status === "changed").length;
              wrapper.title = `${host}: ${status}${changed ? ` (${changed} ${check ? "pending" : "changed"})` : ""}`;
              if (status === "failed" || status === "unreachable") {
                const err = r.results.find((x) => x.error)?.error ?? status;
                throw new Error(`${host}: ${err}`);
              }
            },
          })),
          { concurrent: true, exitOnError: false },
        );
        opts.write(pc.bold(`STAGE [${event.stage}]`));
        running = list.run().catch(() => undefined);
        break;
      }
      case "task-start": {
        const w = rows.get(event.host)?.wrapper;
        if (w) w.output = event.task;
        break;
      }
      case "task-result":
        row(event.result.host).results.push(event.result);
        break;
      case "host-unreachable":
        row(event.host).results.push({
          host: event.host,
          stage: "",
          task: "connect",
          op: "connect",
          status: "unreachable",
          changes: [],
          notes: [],
          checks: [],
          error: event.error,
          handler: false,
          durationMs: 0,
        });
        break;
      case "host-stage-end":
        row(event.host).resolve(event.status);
        break;
      case "stage-end":
        await running;
        for (const r of rows.values())
          for (const res of r.results) {
            if (res.status === "ok" && res.changes.length === 0 && res.checks.length === 0) continue;
            opts.write(`  ${resultLine(res, check)}`);
            for (const l of resultDetail(res)) opts.write(`  ${l}`);
            if (opts.diff)
              for (const c of res.changes) for (const l of describeChange(c)) opts.write(`      ${l}`);
          }
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
        for (const l of runEventLines(event)) opts.write(l);
        break;
    }
  };
}
