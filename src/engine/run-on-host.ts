// One host's part of one stage of a batch: first the read-only run of the tasks
// whose data this batch needs from the host (data-reads.ts), then the host's own
// tasks, with the recap, the results and the drain hooks around them. The run's
// state lives in run.ts and is shared here, updated in place.

import { readOnlyTransport } from "../audit/read-only.js";
import type { Host, Inventory } from "../inventory/model.js";
import type { OperationRegistry } from "../operations/registry.js";
import type { Playbook, Stage, Task } from "../playbook/model.js";
import type { Transport } from "../transport/types.js";
import { errorMessage } from "../util/error-message.js";
import type { ChangeCause } from "./cause.js";
import { dataReader, type RunData } from "./data.js";
import { type EventBus, engineFailure, type Recap, type TaskResult } from "./events.js";
import type { RunFactCache } from "./fact-cache.js";
import type { RunHooks } from "./hooks.js";
import { type RunControl, runHostStage } from "./host-stage.js";
import { likelyFactRequests, taskSteps } from "./prepare.js";
import { tally } from "./recap.js";
import type { Registered } from "./register.js";
import type { RunOptions } from "./run.js";
import type { RunStatsRecorder } from "./run-stats.js";
import type { FactRequest } from "./types.js";

/** A host's tasks in one stage of one batch: its own and those it runs read-only for data. */
export interface HostWork {
  readonly stage: number;
  readonly tasks: readonly Task[];
}

/** The run's state that every host's stage reads and updates. */
export interface HostRunContext {
  readonly inventory: Inventory;
  readonly playbook: Playbook;
  readonly registry: OperationRegistry;
  readonly options: Pick<RunOptions, "check" | "probes">;
  readonly events: EventBus;
  /** Where the read-only runs for data report: their results are not the run's. */
  readonly silent: EventBus;
  readonly hooks?: RunHooks;
  readonly control?: RunControl;
  /** The run's one connection to a host (opened on first use). */
  readonly connect: (host: string) => Promise<Transport>;
  readonly stats: RunStatsRecorder;
  readonly factCache: RunFactCache;
  /** The current batch's typed data. */
  readonly data: RunData;
  readonly registered: Registered;
  readonly recap: Recap;
  readonly results: TaskResult[];
  /** Hosts that failed or were unreachable: later stages leave them out. */
  readonly down: Set<string>;
  /** Hosts whose first round trip of the current batch already read ahead. */
  readonly readAheadDone: Set<string>;
  /** The host's work in every stage of every batch (what its first round trip reads ahead for). */
  readonly workOf: (host: Host) => readonly HostWork[];
  /** The current batch's hosts. */
  readonly batch: readonly string[];
  /** What the host's stages after this one in the current batch may change. */
  readonly laterCauses: (host: Host, stageIndex: number) => readonly ChangeCause[];
}

export interface HostStageWork {
  readonly stage: Stage;
  readonly stageIndex: number;
  /** The host's own tasks in this stage (none when it only runs read-only for data). */
  readonly tasks: readonly Task[];
  /** Tasks run read-only for the data they produce. */
  readonly readTasks: readonly Task[];
  readonly host: Host;
  /** Every host the stage's tasks run on in this batch. */
  readonly targets: readonly string[];
}

export async function runOnHost(ctx: HostRunContext, work: HostStageWork): Promise<void> {
  const { inventory, playbook, options, events, silent, hooks, control, connect, stats, factCache } = ctx;
  const { data, registered, recap, results, down, readAheadDone, workOf } = ctx;
  const { stage, stageIndex, tasks, readTasks, host, targets } = work;
  const base = {
    host,
    inventory,
    stage,
    handlers: playbook.handlers,
    registry: ctx.registry,
    data,
    selected: () => targets,
    factCache: factCache.forHost(host.name),
    probes: options.probes ?? true,
    onApplying: () => factCache.invalidate(),
  };
  const readAhead = (): FactRequest[] => {
    if (readAheadDone.has(host.name)) return [];
    readAheadDone.add(host.name);
    const prep = { ...base, registered, check: options.check };
    return workOf(host)
      .filter((w) => w.stage !== stageIndex || w.tasks.length > 0)
      .flatMap((w) => likelyFactRequests(taskSteps(w.tasks), prep));
  };
  if (readTasks.length > 0) {
    try {
      const transport = readOnlyTransport(await connect(host.name));
      stats.enterStage(host.name, stage.name);
      const outcome = await runHostStage({
        ...base,
        tasks: readTasks,
        handlers: [],
        transport,
        check: true,
        registered: {},
        events: silent,
        readAhead: readAhead(),
      });
      // Failed checks still observed what they report; anything else produced nothing.
      const failedRead =
        outcome.unreachable ??
        outcome.results.find((r) => r.status === "failed" && !r.checks.some((c) => c.status === "fail"))
          ?.error;
      if (failedRead) await events.emit({ type: "data-read-failed", host: host.name, error: failedRead });
    } catch (error) {
      await events.emit({ type: "data-read-failed", host: host.name, error: errorMessage(error) });
    }
  }
  if (tasks.length === 0) return;
  await events.emit({ type: "host-stage-start", stage: stage.name, host: host.name });
  stats.enterStage(host.name, stage.name);
  let transport: Transport;
  try {
    transport = await connect(host.name);
  } catch (error) {
    down.add(host.name);
    recap[host.name]!.unreachable++;
    await events.emit({ type: "host-unreachable", host: host.name, error: errorMessage(error) });
    await events.emit({
      type: "host-stage-end",
      stage: stage.name,
      host: host.name,
      status: "unreachable",
    });
    return;
  }
  let status: "ok" | "changed" | "failed" | "unreachable" = "ok";
  const hookCtx = { inventory, events, connect, host, data: dataReader(data) };
  const failWith = async (task: string, error: unknown) => {
    status = "failed";
    recap[host.name]!.failed++;
    const result = engineFailure(host.name, stage.name, task, errorMessage(error));
    results.push(result);
    await events.emit({ type: "task-result", result });
  };
  try {
    const outcome = await runHostStage({
      ...base,
      tasks,
      transport,
      check: options.check,
      registered,
      events,
      pendingChanges: Object.values(recap).reduce((n, h) => n + h.changed, 0),
      readAhead: readAhead(),
      ...(control ? { control } : {}),
      ...(hooks?.beforeChange && !options.check
        ? { beforeChange: (change) => hooks.beforeChange!({ ...hookCtx, change }) }
        : {}),
    });
    for (const r of outcome.results) {
      results.push(r);
      tally(recap[host.name]!, r.status);
      if (r.status === "changed") status = "changed";
    }
    if (outcome.unreachable) {
      status = "unreachable";
      recap[host.name]!.unreachable++;
      await events.emit({ type: "host-unreachable", host: host.name, error: outcome.unreachable });
    } else if (outcome.failed) status = "failed";
  } catch (error) {
    await failWith("internal error", error);
  }
  if (hooks?.afterHostStage && !options.check && status !== "unreachable") {
    try {
      await hooks.afterHostStage({
        ...hookCtx,
        failed: status === "failed",
        batch: ctx.batch,
        laterCauses: ctx.laterCauses(host, stageIndex),
      });
    } catch (error) {
      await failWith("restore after drain", error);
    } finally {
      // The hook may have changed the host (keepalived started again): cached facts are stale.
      factCache.invalidate();
    }
  }
  if (status === "failed" || status === "unreachable") down.add(host.name);
  await events.emit({ type: "host-stage-end", stage: stage.name, host: host.name, status });
}
