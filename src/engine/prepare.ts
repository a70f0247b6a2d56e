// A task or handler made ready for one host: operation resolved, args rendered
// with the host's variables and registered values.
import type { Host, Inventory } from "../inventory/model.js";
import type { OperationRegistry } from "../operations/registry.js";
import type { Task } from "../playbook/model.js";
import { renderArgs, templateVarsFor } from "../playbook/template.js";
import { errorMessage } from "../util/error-message.js";
import { dataReader, type RunData } from "./data.js";
import type { Registered } from "./register.js";
import type { FactRequest, Operation } from "./types.js";

/** What preparing a step looks at. */
export interface PrepareInput {
  readonly host: Host;
  readonly inventory: Inventory;
  readonly registry: OperationRegistry;
  /** Typed values produced so far in this run. */
  readonly data: RunData;
  /** Values of tasks with `register:` (user data for templates): host → name → value. */
  readonly registered: Registered;
  /** Hosts each task runs on in this run (by task), for PlanContext.selected. */
  readonly selected: (step: Step) => readonly string[];
  readonly check: boolean;
  /** Behaviour probes run (PlanContext.probes; default true). */
  readonly probes?: boolean;
}

export interface Step {
  readonly name: string;
  readonly op: string;
  readonly args: unknown;
  readonly register?: string;
  readonly notify: readonly string[];
  readonly handler: boolean;
  /** A handler's name as tasks notify it. */
  readonly handlerName?: string;
}

export const taskSteps = (tasks: readonly Task[]): Step[] =>
  tasks.map((t) => ({
    name: t.name,
    op: t.op,
    args: t.args,
    notify: t.notify,
    handler: false,
    ...(t.register ? { register: t.register } : {}),
  }));

/** A prepared step: operation resolved and args rendered for this host, or the reason it cannot run. */
export type Prepared = { step: Step; op: Operation<unknown>; args: unknown } | { step: Step; error: string };

export function prepare(step: Step, input: PrepareInput): Prepared {
  const op = input.registry.get(step.op);
  if (!op) return { step, error: `unknown operation ${step.op}` };
  try {
    return {
      step,
      op,
      args: op.parseArgs(renderArgs(step.args, templateVarsFor(input.host, input.registered))),
    };
  } catch (error) {
    return { step, error: `invalid args for ${step.op}: ${errorMessage(error)}` };
  }
}

export function planContext(p: { step: Step; op: Operation<unknown>; args: unknown }, input: PrepareInput) {
  return {
    host: input.host,
    inventory: input.inventory,
    args: p.args,
    data: dataReader(input.data),
    selected: input.selected(p.step),
    check: input.check,
    probes: input.probes ?? true,
  };
}

/**
 * The facts these steps will probably need, as far as that can be known now
 * (values registered by stages not yet run may change the answer — then the
 * stage simply reads what is missing). Never throws; volatile facts excluded.
 */
export function likelyFactRequests(steps: readonly Step[], input: PrepareInput): FactRequest[] {
  const requests: FactRequest[] = [];
  for (const step of steps) {
    const p = prepare(step, input);
    if (!("op" in p)) continue;
    try {
      for (const req of p.op.facts(planContext(p, input))) if (!req.fact.volatile) requests.push(req);
    } catch {
      // Needs something a later stage provides: read when that stage runs.
    }
  }
  return requests;
}
