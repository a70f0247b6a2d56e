// Typed events from the engine. Renderers (listr2, plain lines, JSON) subscribe;
// the engine never prints anything itself.
import type { RunStats } from "./run-stats.js";
import type { Change, CheckResult, TaskStatus } from "./types.js";

export interface TaskResult {
  readonly host: string;
  readonly stage: string;
  readonly task: string;
  /** Operation name. */
  readonly op: string;
  readonly status: TaskStatus;
  /** Planned changes (check mode) or applied changes (apply mode). */
  readonly changes: readonly Change[];
  readonly notes: readonly string[];
  readonly checks: readonly CheckResult[];
  readonly error?: string;
  /** True for handler runs. */
  readonly handler: boolean;
  readonly durationMs: number;
}

/** A failure of the engine's own step on a host (the cluster lock, a hook), not of a task's operation. */
export function engineFailure(host: string, stage: string, task: string, error: string): TaskResult {
  return {
    host,
    stage,
    task,
    op: "engine",
    status: "failed",
    changes: [],
    notes: [],
    checks: [],
    error,
    handler: false,
    durationMs: 0,
  };
}

export interface HostRecap {
  ok: number;
  changed: number;
  failed: number;
  skipped: number;
  unreachable: number;
}

export type Recap = Record<string, HostRecap>;

export type EngineEvent =
  | {
      readonly type: "run-start";
      readonly playbook: string;
      readonly hosts: readonly string[];
      readonly stages: readonly string[];
      readonly check: boolean;
    }
  | { readonly type: "stage-start"; readonly stage: string; readonly hosts: readonly string[] }
  | { readonly type: "host-stage-start"; readonly stage: string; readonly host: string }
  | { readonly type: "task-start"; readonly stage: string; readonly host: string; readonly task: string }
  | { readonly type: "task-result"; readonly result: TaskResult }
  | {
      readonly type: "host-stage-end";
      readonly stage: string;
      readonly host: string;
      readonly status: "ok" | "changed" | "failed" | "unreachable" | "skipped";
    }
  | { readonly type: "host-unreachable"; readonly host: string; readonly error: string }
  | { readonly type: "stage-end"; readonly stage: string; readonly durationMs: number }
  | { readonly type: "warning"; readonly host?: string; readonly message: string }
  /** A rolling apply's batch (--serial; directors one at a time by default). */
  | {
      readonly type: "batch-start";
      readonly index: number;
      readonly total: number;
      readonly hosts: readonly string[];
    }
  | {
      readonly type: "batch-end";
      readonly index: number;
      readonly total: number;
      readonly failed: readonly string[];
      readonly durationMs: number;
    }
  /** How the run was put in batches when --serial did not say (the command's default). */
  | { readonly type: "batching"; readonly detail: string }
  /** Producers left out by --limit/--tags/--serial, run read-only on these hosts for their data. */
  | {
      readonly type: "data-read";
      readonly stage: string;
      readonly hosts: readonly string[];
      /** What is read, e.g. ["data plane"]. */
      readonly what: readonly string[];
    }
  | { readonly type: "data-read-failed"; readonly host: string; readonly error: string }
  /**
   * The VIP handed over before a disruptive change on its holder, and back
   * (operations/lvs/drain.ts); not-needed: the host held no VIP; in-place: the
   * only director, nobody to hand over to.
   */
  | {
      readonly type: "drain";
      readonly host: string;
      readonly phase: "drained" | "restored" | "not-needed" | "in-place";
      /** Where each VIP was after this phase: VIP → directors holding it (empty for not-needed). */
      readonly vips: Readonly<Record<string, readonly string[]>>;
      readonly detail: string;
      readonly durationMs: number;
    }
  /** The cluster lock (taken, or taken over from a holder that is gone). */
  | { readonly type: "lock"; readonly hosts: readonly string[]; readonly detail: string }
  /** SIGINT/SIGTERM: no new change starts; in-flight changes and due handlers finish. */
  | { readonly type: "interrupt"; readonly signal: string; readonly detail: string }
  | {
      readonly type: "run-end";
      readonly recap: Recap;
      readonly results: readonly TaskResult[];
      readonly aborted?: string;
      /** The signal that interrupted the run. */
      readonly interrupted?: string;
      readonly durationMs: number;
      readonly stats: RunStats;
    };

export type EventListener = (event: EngineEvent) => void | Promise<void>;

/** Fan-out to listeners; `emit` waits for async listeners so output stays ordered. */
export class EventBus {
  private readonly listeners: EventListener[] = [];

  subscribe(listener: EventListener): void {
    this.listeners.push(listener);
  }

  async emit(event: EngineEvent): Promise<void> {
    for (const listener of this.listeners) await listener(event);
  }
}
