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
  | {
      readonly type: "run-end";
      readonly recap: Recap;
      readonly results: readonly TaskResult[];
      readonly aborted?: string;
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
