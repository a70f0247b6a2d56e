// Runs one stage's tasks on one host: gather facts (one round trip), plan each
// task, apply (unless check mode), then run the handlers the stage notified.
import type { Host, Inventory } from "../inventory/model.js";
import type { OperationRegistry } from "../operations/registry.js";
import type { Handler, Stage, Task } from "../playbook/model.js";
import { type Transport, UnreachableError } from "../transport/types.js";
import { errorMessage } from "../util/error-message.js";
import { applyChange } from "./apply-change.js";
import type { RunData } from "./data.js";
import type { EventBus, TaskResult } from "./events.js";
import type { FactCacheView } from "./fact-cache.js";
import { gatherFacts } from "./gather.js";
import type { ChangeVerdict } from "./hooks.js";
import { type Prepared, planContext, prepare, type Step, taskSteps } from "./prepare.js";
import { type Registered, registeredValue } from "./register.js";
import type { Change, FactReader, FactRequest, Plan, TaskStatus } from "./types.js";

/** Asked before every change: a run that is stopping (SIGINT/SIGTERM) starts no new change. */
export interface RunControl {
  /** Why no new change may start (undefined: go on). */
  readonly stopping: string | undefined;
}

export interface HostStageInput {
  readonly host: Host;
  readonly inventory: Inventory;
  readonly stage: Stage;
  readonly tasks: readonly Task[];
  readonly handlers: readonly Handler[];
  readonly registry: OperationRegistry;
  readonly transport: Transport;
  readonly check: boolean;
  /** Behaviour probes run (default true). */
  readonly probes?: boolean;
  /** Typed values produced in this run (written here when a task produced some). */
  readonly data: RunData;
  /** `register:` values (written here). */
  readonly registered: Registered;
  /** Hosts a step runs on in this run. */
  readonly selected: (step: Step) => readonly string[];
  readonly events: EventBus;
  readonly control?: RunControl;
  /**
   * Called before each change is applied (the rolling apply drains a VIP holder
   * here); throwing fails the task; a deferred verdict means the hook carries
   * the change out itself (the task still counts it as changed, with a note).
   */
  readonly beforeChange?: (change: Change) => Promise<ChangeVerdict | undefined>;
  /** Changes already pending in this run, on any host (check mode: cluster checks depend on them). */
  readonly pendingChanges?: number;
  /** Facts already read in this run (reused while nothing changed). */
  readonly factCache?: FactCacheView;
  /** Called before and after each change is applied: cached facts may be stale from then on. */
  readonly onApplying?: () => void;
  /** Facts later stages will need, read in this stage's first round trip (best effort). */
  readonly readAhead?: readonly FactRequest[];
}

export interface HostStageOutcome {
  readonly results: TaskResult[];
  /** The host failed (stop its remaining stages) or became unreachable. */
  readonly failed: boolean;
  readonly unreachable?: string;
}

/** Facts for every runnable step, gathered in one batch; a read failure is returned, not thrown. */
async function gatherOrError(
  prepared: readonly Prepared[],
  input: HostStageInput,
  readAhead: readonly FactRequest[] = [],
): Promise<FactReader | Error> {
  const requests: FactRequest[] = [];
  try {
    for (const p of prepared) if ("op" in p) requests.push(...p.op.facts(planContext(p, input)));
    return await gatherFacts(input.transport, [...requests, ...readAhead], input.factCache);
  } catch (error) {
    if (error instanceof UnreachableError) throw error;
    return error instanceof Error ? error : new Error(String(error));
  }
}

function statusOf(plan: Plan): TaskStatus {
  if (plan.error || plan.checks?.some((c) => c.status === "fail")) return "failed";
  if (plan.skipped) return "skipped";
  return plan.changes.length > 0 ? "changed" : "ok";
}

export async function runHostStage(input: HostStageInput): Promise<HostStageOutcome> {
  const results: TaskResult[] = [];
  const notified = new Set<string>();
  // Changes of this stage on this host in order (planned ones in check mode), and
  // for each notified handler where in that list its last notification came.
  const stageChanges: Change[] = [];
  const notifiedAt = new Map<string, number>();
  const notify = (handlers: readonly string[]) => {
    for (const h of handlers) {
      notified.add(h);
      notifiedAt.set(h, stageChanges.length);
    }
  };
  let failed = false;
  let pending = input.pendingChanges ?? 0;

  let readAhead = input.readAhead ?? [];
  const runSteps = async (steps: readonly Step[]): Promise<string | undefined> => {
    let interrupted = false;
    const prepared = steps.map((s) => prepare(s, input));
    let facts = await gatherOrError(prepared, input, readAhead);
    readAhead = [];
    let stale = false;
    for (const [index, p] of prepared.entries()) {
      if (stale) {
        // After a change, re-read what this and every later task of the stage
        // needs (one round trip; the next change makes it stale again).
        facts = await gatherOrError(prepared.slice(index), input);
        stale = false;
      }
      const started = Date.now();
      await input.events.emit({
        type: "task-start",
        stage: input.stage.name,
        host: input.host.name,
        task: p.step.name,
      });
      let plan: Plan;
      let status: TaskStatus;
      let error: string | undefined;
      let applied = 0;
      const deferred: string[] = [];
      let failedChecksOnly = false;
      try {
        // A failed fact read fails this task (not the whole stage): results and handlers survive.
        if (facts instanceof Error) throw facts;
        const reader = facts;
        const since = p.step.handlerName === undefined ? undefined : notifiedAt.get(p.step.handlerName);
        plan =
          "op" in p
            ? p.op.plan({
                ...planContext(p, input),
                facts: reader,
                ...(since === undefined ? {} : { sinceNotified: stageChanges.slice(since) }),
              })
            : { changes: [], error: p.error };
        status = statusOf(plan);
        failedChecksOnly = status === "failed" && plan.error === undefined;
        // Check mode: read-only checks see the state BEFORE the pending changes
        // (on this host or, for cluster checks, on others); failing them would
        // turn drift (exit 2) into a failure (exit 3).
        if (status === "failed" && input.check && pending > 0 && !plan.error && plan.changes.length === 0) {
          const why = `not verified: ${pending} change(s) pending in this run`;
          plan = { ...plan, notes: [...(plan.notes ?? []), why], skipped: why };
          status = "skipped";
        }
        error =
          status === "skipped"
            ? undefined
            : (plan.error ??
              plan.checks
                ?.filter((c) => c.status === "fail")
                .map((c) => `${c.name}: ${c.detail}`)
                .join("; "));
        const stopping = p.step.handler ? undefined : input.control?.stopping;
        if (status === "changed" && !input.check && stopping) {
          // Interrupted: nothing of this task is started; handlers of earlier changes still run.
          const why = `not applied: ${stopping}`;
          plan = { ...plan, notes: [...(plan.notes ?? []), why], skipped: why };
          status = "skipped";
          interrupted = true;
        }
        if (status === "changed" && !input.check) {
          for (const change of plan.changes) {
            const verdict = await input.beforeChange?.(change);
            input.onApplying?.();
            if (verdict) {
              deferred.push(`${change.summary}: ${verdict.deferred}`);
              applied++;
              continue;
            }
            try {
              await applyChange(input.transport, change);
            } finally {
              // Reads that ran while it was being applied may have seen it half done.
              input.onApplying?.();
            }
            applied++;
          }
        }
      } catch (err) {
        if (err instanceof UnreachableError) return errorMessage(err);
        plan ??= { changes: [] };
        status = "failed";
        failedChecksOnly = false;
        error = errorMessage(err);
        // Part of the plan was applied: its handlers must still run.
        if (applied > 0) {
          stageChanges.push(...plan.changes.slice(0, applied));
          notify(p.step.notify);
          error += ` (${applied} of ${plan.changes.length} change(s) were applied before the failure)`;
        }
      }
      // What a plan produced is valid unless it could not plan (error, exception):
      // failed checks (verify) still observed what they report.
      if ((status !== "failed" || failedChecksOnly) && "op" in p) {
        for (const produced of plan.produce ?? []) produced.store(input.data, input.host.name);
        if (p.step.register) {
          input.registered[input.host.name] = {
            ...input.registered[input.host.name],
            [p.step.register]: registeredValue(status, plan.produce ?? []),
          };
        }
      }
      if (status === "changed") {
        pending++;
        stageChanges.push(...plan.changes);
        notify(p.step.notify);
      }
      const result: TaskResult = {
        host: input.host.name,
        stage: input.stage.name,
        task: p.step.name,
        op: p.step.op,
        status,
        changes: plan.changes,
        notes: [
          ...(plan.notes ?? (plan.skipped ? [plan.skipped] : [])),
          ...deferred,
          ...(p.step.handler && failed
            ? ["notified before a task failed: run anyway, so a change is not left un-applied"]
            : []),
        ],
        checks: plan.checks ?? [],
        ...(error ? { error } : {}),
        handler: p.step.handler,
        durationMs: Date.now() - started,
      };
      results.push(result);
      await input.events.emit({ type: "task-result", result });
      if (status === "failed") {
        failed = true;
        return undefined;
      }
      if (interrupted) return undefined;
      // Later tasks in this stage must plan against the state this change produced.
      if (status === "changed" && !input.check) stale = true;
    }
    return undefined;
  };

  try {
    const lost = await runSteps(taskSteps(input.tasks));
    if (lost) return { results, failed: true, unreachable: lost };
    // Handlers that were notified still run when a later task failed (so a
    // changed config is never left un-reloaded); each runs once, in definition order.
    const handlerSteps: Step[] = input.handlers
      .filter((h) => notified.has(h.name))
      .map((h) => ({
        name: `handler: ${h.name}`,
        op: h.op,
        args: h.args,
        notify: [],
        handler: true,
        handlerName: h.name,
      }));
    if (handlerSteps.length > 0) {
      const lostInHandlers = await runSteps(handlerSteps);
      if (lostInHandlers) return { results, failed: true, unreachable: lostInHandlers };
    }
  } catch (err) {
    if (err instanceof UnreachableError) return { results, failed: true, unreachable: errorMessage(err) };
    throw err;
  }
  return { results, failed };
}
