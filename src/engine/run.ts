// The run: batches of hosts (a rolling apply; one batch unless --serial or the
// command's default says otherwise), and in each batch the stages in order with
// a barrier between them, hosts in parallel bounded by --forks, one connection
// per host reused by the whole run. Producers that --limit/--tags/a batch left
// out run read-only for their data (data-reads.ts). What one host does in a
// stage is in run-on-host.ts.

import type { Host, Inventory } from "../inventory/model.js";
import { selectHosts } from "../inventory/pattern.js";
import type { OperationRegistry } from "../operations/registry.js";
import type { Playbook, Task } from "../playbook/model.js";
import type { Connector, Transport } from "../transport/types.js";
import { makeBatches, type SerialSpec } from "./batches.js";
import { causesAhead } from "./causes-ahead.js";
import { RunData } from "./data.js";
import { type DataReads, planDataReads } from "./data-reads.js";
import { EventBus, engineFailure, type Recap, type TaskResult } from "./events.js";
import { RunFactCache } from "./fact-cache.js";
import type { RunHooks } from "./hooks.js";
import type { RunControl } from "./host-stage.js";
import { mapBounded } from "./limit.js";
import { emptyRecap } from "./recap.js";
import type { Registered } from "./register.js";
import { type HostRunContext, runOnHost } from "./run-on-host.js";
import { type RunStats, RunStatsRecorder } from "./run-stats.js";
import { type TagFilter, taskSelected } from "./select.js";

export interface RunOptions extends TagFilter {
  readonly check: boolean;
  /** Host pattern restricting the run (--limit). */
  readonly limit?: string;
  readonly forks: number;
  /** Abort when more than this percentage of a batch's hosts failed. */
  readonly maxFailPercent: number;
  /** Rolling apply (ignored in check mode, where nothing changes). */
  readonly serial?: SerialSpec;
  /** Behaviour probes (client requests) run; default true, false in `audit --watch`. */
  readonly probes?: boolean;
}

export interface RunInput {
  readonly inventory: Inventory;
  readonly playbook: Playbook;
  readonly registry: OperationRegistry;
  readonly connector: Connector;
  readonly events: EventBus;
  readonly options: RunOptions;
  readonly hooks?: RunHooks;
  /** Asked before every change: set `stopping` to end the run safely (SIGINT/SIGTERM). */
  readonly control?: RunControl;
}

export interface RunOutcome {
  readonly recap: Recap;
  readonly results: readonly TaskResult[];
  readonly aborted?: string;
  readonly stats: RunStats;
}

export async function runPlaybook(input: RunInput): Promise<RunOutcome> {
  const { inventory, playbook, options, events, hooks, control } = input;
  const started = Date.now();
  const inRun = options.limit ? selectHosts(inventory, options.limit) : [...inventory.hosts];
  const recap = emptyRecap(inRun.map((h) => h.name));
  const results: TaskResult[] = [];
  const registered: Registered = {};
  const transports = new Map<string, Promise<Transport>>();
  const down = new Set<string>();
  let aborted: string | undefined;
  const factCache = new RunFactCache();
  const stats = new RunStatsRecorder();
  const stageHosts = playbook.stages.map((s) => new Set(selectHosts(inventory, s.hosts).map((h) => h.name)));
  const selectedTasks = playbook.stages.map((s) => s.tasks.filter((t) => taskSelected(s, t, options)));
  let batches = options.check ? [inRun] : makeBatches(inRun, options.serial);

  // Every batch's own tasks and data reads, known before the run: a host's first
  // round trip reads ahead what it will need in the whole run.
  const planReads = (all: readonly Host[][]) =>
    all.map((batch) => {
      const names = new Set(batch.map((h) => h.name));
      return planDataReads({
        inventory,
        playbook,
        registry: input.registry,
        stageHosts,
        selected: (pos, host) =>
          names.has(host) &&
          !down.has(host) &&
          (stageHosts[pos.stage]?.has(host) ?? false) &&
          selectedTasks[pos.stage]!.includes(playbook.stages[pos.stage]!.tasks[pos.task]!),
      });
    });
  let plans = planReads(batches);
  const workOf = (host: Host): { stage: number; tasks: Task[] }[] =>
    batches.flatMap((batch, b) =>
      playbook.stages.map((_, s) => ({
        stage: s,
        tasks: [
          ...(plans[b]!.get(s)?.get(host.name) ?? []),
          ...(batch.includes(host) && stageHosts[s]!.has(host.name) ? selectedTasks[s]! : []),
        ],
      })),
    );

  await events.emit({
    type: "run-start",
    playbook: playbook.name,
    hosts: inRun.map((h) => h.name),
    stages: playbook.stages.map((s) => s.name),
    check: options.check,
  });

  const connect = (host: string): Promise<Transport> => {
    let t = transports.get(host);
    if (!t) {
      t = input.connector.connect(host).then((raw) => stats.counting(raw));
      transports.set(host, t);
    }
    return t;
  };
  const silent = new EventBus();
  let release: (() => Promise<void>) | undefined;

  try {
    if (hooks?.beforeRun && !options.check) {
      const prepared = await hooks.beforeRun({ inventory, events, connect, hosts: inRun });
      release = prepared.release;
      for (const [host, error] of prepared.failed) {
        down.add(host);
        recap[host]!.failed++;
        const result = engineFailure(host, playbook.stages[0]?.name ?? "", "cluster lock", error);
        results.push(result);
        await events.emit({ type: "task-result", result });
      }
      // Hosts that failed here take no part: their reads-ahead are planned anew without them.
      if (prepared.failed.size > 0) plans = planReads(batches);
    }
    if (hooks?.defaultSerial && !options.check && !options.serial) {
      const serial = await hooks.defaultSerial({ inventory, events, connect, hosts: inRun });
      if (serial) {
        batches = makeBatches(inRun, serial);
        plans = planReads(batches);
      }
    }

    for (const [b, batch] of batches.entries()) {
      if (control?.stopping) break;
      const batchStarted = Date.now();
      const data = new RunData();
      const reads: DataReads = plans[b]!;
      const readAheadDone = new Set<string>();
      const downBefore = new Set(down);
      if (batches.length > 1)
        await events.emit({
          type: "batch-start",
          index: b + 1,
          total: batches.length,
          hosts: batch.map((h) => h.name),
        });

      const hostRun: HostRunContext = {
        inventory,
        playbook,
        registry: input.registry,
        options,
        events,
        silent,
        hooks,
        control,
        connect,
        stats,
        factCache,
        data,
        registered,
        recap,
        results,
        down,
        readAheadDone,
        workOf,
        batch: batch.map((h) => h.name),
        laterCauses: (host, stageIndex) =>
          playbook.stages.flatMap((_, s) =>
            s > stageIndex && stageHosts[s]!.has(host.name)
              ? causesAhead(input.registry, playbook, selectedTasks[s]!)
              : [],
          ),
      };

      // Whatever a hook still holds (a drain kept for a stage that never ran) is
      // undone after the batch's stages, also when they ended in an exception.
      /** The stage each host of the batch ran last: where a failed restore is reported. */
      const lastStage = new Map<string, string>();
      const undoHeld = async () => {
        if (!hooks?.afterBatch || options.check) return;
        for (const [host, why] of await hooks.afterBatch({ inventory, events, connect })) {
          const result = engineFailure(host, lastStage.get(host) ?? "", "restore after drain", why);
          results.push(result);
          // A host already failed or unreachable is counted once.
          if (!down.has(host)) recap[host]!.failed++;
          down.add(host);
          await events.emit({ type: "task-result", result });
        }
      };

      try {
        for (const [stageIndex, stage] of playbook.stages.entries()) {
          if (control?.stopping) break;
          const tasks = selectedTasks[stageIndex]!;
          const targets =
            tasks.length === 0
              ? []
              : batch.filter((h) => stageHosts[stageIndex]!.has(h.name) && !down.has(h.name));
          const readsHere = reads.get(stageIndex) ?? new Map<string, Task[]>();
          if (targets.length === 0 && readsHere.size === 0) continue;
          const targetNames = targets.map((h) => h.name);
          for (const name of targetNames) lastStage.set(name, stage.name);
          const stageStarted = Date.now();
          // A stage that only reads for data shows as one "reading …" line, not as a stage.
          if (targetNames.length > 0)
            await events.emit({ type: "stage-start", stage: stage.name, hosts: targetNames });
          if (readsHere.size > 0)
            await events.emit({
              type: "data-read",
              stage: stage.name,
              hosts: inventory.hosts.filter((h) => readsHere.has(h.name)).map((h) => h.name),
              what: describeReads(input.registry, inventory, readsHere),
            });
          const hosts = inventory.hosts.filter((h) => targetNames.includes(h.name) || readsHere.has(h.name));
          await mapBounded(hosts, options.forks, (host) =>
            runOnHost(hostRun, {
              stage,
              stageIndex,
              tasks: targetNames.includes(host.name) ? tasks : [],
              readTasks: readsHere.get(host.name) ?? [],
              host,
              targets: targetNames,
            }),
          );
          if (targetNames.length > 0)
            await events.emit({
              type: "stage-end",
              stage: stage.name,
              durationMs: Date.now() - stageStarted,
            });
          const failedNow = batch.filter((h) => down.has(h.name) && !downBefore.has(h.name));
          if (failedNow.length > 0 && (failedNow.length / batch.length) * 100 > options.maxFailPercent) {
            aborted = `${failedNow.length} of ${batch.length} host(s)${batches.length > 1 ? ` of batch ${b + 1}` : ""} failed or unreachable (more than ${options.maxFailPercent}%): remaining ${batches.length > 1 ? "stages and batches" : "stages"} not run`;
            break;
          }
        }
      } finally {
        await undoHeld();
      }
      const failed = batch.filter((h) => down.has(h.name) && !downBefore.has(h.name)).map((h) => h.name);
      if (batches.length > 1)
        await events.emit({
          type: "batch-end",
          index: b + 1,
          total: batches.length,
          failed,
          durationMs: Date.now() - batchStarted,
        });
      if (aborted) break;
      if (
        batches.length > 1 &&
        b < batches.length - 1 &&
        failed.length > 0 &&
        failed.length === batch.length
      ) {
        aborted = `every host of batch ${b + 1} (${failed.join(", ")}) failed: the rolling apply stops here; batches ${b + 2}-${batches.length} not run`;
        break;
      }
    }
  } finally {
    try {
      await release?.();
    } finally {
      await Promise.allSettled(
        [...transports.values()].map(async (t) => {
          try {
            await (await t).close();
          } catch {
            // Already unreachable; nothing to close.
          }
        }),
      );
    }
  }

  const runStats = stats.snapshot((host) => input.connector.connectionStats?.(host));
  await events.emit({
    type: "run-end",
    recap,
    results,
    ...(aborted ? { aborted } : {}),
    ...(control?.stopping ? { interrupted: control.stopping } : {}),
    durationMs: Date.now() - started,
    stats: runStats,
  });
  return { recap, results, ...(aborted ? { aborted } : {}), stats: runStats };
}

/** What the read hosts' tasks produce, described ("data plane", "mark rules"). */
function describeReads(
  registry: OperationRegistry,
  inventory: Inventory,
  reads: ReadonlyMap<string, readonly Task[]>,
): string[] {
  const what = new Set<string>();
  for (const [name, tasks] of reads) {
    const host = inventory.hosts.find((h) => h.name === name);
    if (!host) continue;
    for (const t of tasks)
      for (const k of registry.get(t.op)?.produces?.({ host, inventory }) ?? []) what.add(k.description);
  }
  return [...what];
}
