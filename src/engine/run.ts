// The run: stages in order with a barrier between them, hosts in parallel
// bounded by --forks, one connection per host reused by every stage.

import type { Host, Inventory } from "../inventory/model.js";
import { selectHosts } from "../inventory/pattern.js";
import type { OperationRegistry } from "../operations/registry.js";
import type { Playbook, Stage, Task } from "../playbook/model.js";
import type { Connector, Transport } from "../transport/types.js";
import { errorMessage } from "../util/error-message.js";
import type { EventBus, Recap, TaskResult } from "./events.js";
import { RunFactCache } from "./fact-cache.js";
import { runHostStage } from "./host-stage.js";
import { mapBounded } from "./limit.js";
import { likelyFactRequests, taskSteps } from "./prepare.js";
import { emptyRecap, tally } from "./recap.js";
import { type RunStats, RunStatsRecorder } from "./run-stats.js";
import type { FactRequest } from "./types.js";

export interface RunOptions {
  readonly check: boolean;
  /** Host pattern restricting the run (--limit). */
  readonly limit?: string;
  /** Only tasks whose (or whose stage's) tags intersect these (--tags). */
  readonly tags?: readonly string[];
  readonly forks: number;
  /** Abort remaining stages when more than this percentage of hosts failed. */
  readonly maxFailPercent: number;
}

export interface RunInput {
  readonly inventory: Inventory;
  readonly playbook: Playbook;
  readonly registry: OperationRegistry;
  readonly connector: Connector;
  readonly events: EventBus;
  readonly options: RunOptions;
}

export interface RunOutcome {
  readonly recap: Recap;
  readonly results: readonly TaskResult[];
  readonly aborted?: string;
  readonly stats: RunStats;
}

export function tasksFor(stage: Stage, tags: readonly string[] | undefined): Task[] {
  if (!tags || tags.length === 0) return [...stage.tasks];
  const wanted = new Set(tags);
  return stage.tasks.filter((t) => [...t.tags, ...stage.tags].some((tag) => wanted.has(tag)));
}

export async function runPlaybook(input: RunInput): Promise<RunOutcome> {
  const { inventory, playbook, options, events } = input;
  const started = Date.now();
  const inRun = options.limit ? selectHosts(inventory, options.limit) : [...inventory.hosts];
  const inRunNames = new Set(inRun.map((h) => h.name));
  const recap = emptyRecap(inRun.map((h) => h.name));
  const results: TaskResult[] = [];
  const published: Record<string, Record<string, unknown>> = {};
  const transports = new Map<string, Promise<Transport>>();
  const down = new Set<string>();
  let aborted: string | undefined;
  // A no-op run reads each host once: its first stage also reads what later
  // stages will need, and nothing is read twice until something changes.
  const factCache = new RunFactCache();
  const stats = new RunStatsRecorder();
  const readAheadDone = new Set<string>();
  // Each stage's host pattern, resolved once (not once per host and stage).
  const stageHosts = new Map(
    playbook.stages.map((s) => [s, new Set(selectHosts(inventory, s.hosts).map((h) => h.name))]),
  );
  const readAheadFor = (stageIndex: number, host: Host): FactRequest[] => {
    if (readAheadDone.has(host.name)) return [];
    readAheadDone.add(host.name);
    const later = playbook.stages.slice(stageIndex + 1).filter((s) => stageHosts.get(s)?.has(host.name));
    const prep = { host, inventory, registry: input.registry, published, check: options.check };
    return later.flatMap((s) => likelyFactRequests(taskSteps(tasksFor(s, options.tags)), prep));
  };

  await events.emit({
    type: "run-start",
    playbook: playbook.name,
    hosts: inRun.map((h) => h.name),
    stages: playbook.stages.map((s) => s.name),
    check: options.check,
  });

  const connect = (host: Host): Promise<Transport> => {
    let t = transports.get(host.name);
    if (!t) {
      t = input.connector.connect(host.name).then((raw) => stats.counting(raw));
      transports.set(host.name, t);
    }
    return t;
  };

  const runOnHost = async (
    stage: Stage,
    stageIndex: number,
    tasks: readonly Task[],
    host: Host,
  ): Promise<void> => {
    await events.emit({ type: "host-stage-start", stage: stage.name, host: host.name });
    stats.enterStage(host.name, stage.name);
    let transport: Transport;
    try {
      transport = await connect(host);
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
    try {
      const outcome = await runHostStage({
        host,
        inventory,
        stage,
        tasks,
        handlers: playbook.handlers,
        registry: input.registry,
        transport,
        check: options.check,
        published,
        events,
        pendingChanges: Object.values(recap).reduce((n, h) => n + h.changed, 0),
        factCache: factCache.forHost(host.name),
        onApplying: () => factCache.invalidate(),
        readAhead: readAheadFor(stageIndex, host),
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
      status = "failed";
      recap[host.name]!.failed++;
      const result: TaskResult = {
        host: host.name,
        stage: stage.name,
        task: "internal error",
        op: "engine",
        status: "failed",
        changes: [],
        notes: [],
        checks: [],
        error: errorMessage(error),
        handler: false,
        durationMs: 0,
      };
      results.push(result);
      await events.emit({ type: "task-result", result });
    }
    if (status === "failed" || status === "unreachable") down.add(host.name);
    await events.emit({ type: "host-stage-end", stage: stage.name, host: host.name, status });
  };

  try {
    for (const [stageIndex, stage] of playbook.stages.entries()) {
      const tasks = tasksFor(stage, options.tags);
      if (tasks.length === 0) continue;
      const targets = selectHosts(inventory, stage.hosts).filter(
        (h) => inRunNames.has(h.name) && !down.has(h.name),
      );
      const stageStarted = Date.now();
      await events.emit({ type: "stage-start", stage: stage.name, hosts: targets.map((h) => h.name) });
      await mapBounded(targets, options.forks, (host) => runOnHost(stage, stageIndex, tasks, host));
      await events.emit({ type: "stage-end", stage: stage.name, durationMs: Date.now() - stageStarted });
      const failedPct = (down.size / Math.max(1, inRun.length)) * 100;
      if (down.size > 0 && failedPct > options.maxFailPercent) {
        aborted = `${down.size} of ${inRun.length} hosts failed or unreachable (more than ${options.maxFailPercent}%): remaining stages not run`;
        break;
      }
    }
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

  const runStats = stats.snapshot((host) => input.connector.connectionStats?.(host));
  await events.emit({
    type: "run-end",
    recap,
    results,
    ...(aborted ? { aborted } : {}),
    durationMs: Date.now() - started,
    stats: runStats,
  });
  return { recap, results, ...(aborted ? { aborted } : {}), stats: runStats };
}
