// Everything that can be checked without a host: each task's args are rendered
// for every host it targets and parsed by its operation. Any problem here stops
// the run before a single connection is made.

import type { Inventory } from "../inventory/model.js";
import { selectHosts } from "../inventory/pattern.js";
import type { OperationRegistry } from "../operations/registry.js";
import { locateArg } from "../playbook/locate.js";
import type { Playbook, SourcePos } from "../playbook/model.js";
import { renderArgs, TemplateError, templateVarsFor } from "../playbook/template.js";
import { errorMessage } from "../util/error-message.js";
import { checkDataFlow } from "./data-flow.js";

export interface PreflightProblem {
  readonly pos: SourcePos;
  readonly message: string;
}

export function preflight(
  inventory: Inventory,
  playbook: Playbook,
  registry: OperationRegistry,
): PreflightProblem[] {
  const problems: PreflightProblem[] = [];
  const seen = new Set<string>();
  const add = (pos: SourcePos, text: string) => {
    const key = `${pos.file}:${pos.line}:${pos.col}:${text}`;
    if (!seen.has(key)) {
      seen.add(key);
      problems.push({ pos, message: text });
    }
  };
  const registered = new Set<string>();
  for (const stage of playbook.stages)
    for (const t of stage.tasks) if (t.register) registered.add(t.register);
  const stageHosts: ReturnType<typeof selectHosts>[] = [];
  for (const stage of playbook.stages) {
    let hosts: ReturnType<typeof selectHosts>;
    try {
      hosts = selectHosts(inventory, stage.hosts);
    } catch (error) {
      add(stage.pos, `stage "${stage.name}": hosts: ${errorMessage(error)}`);
      stageHosts.push([]);
      continue;
    }
    stageHosts.push(hosts);
    for (const task of stage.tasks) {
      const op = registry.get(task.op);
      if (!op) {
        add(task.pos, `task "${task.name}": unknown operation ${task.op}`);
        continue;
      }
      for (const host of hosts) {
        try {
          op.parseArgs(renderArgs(task.args, templateVarsFor(host)));
        } catch (error) {
          // Values registered by earlier tasks exist only at run time; the template
          // checker already verified those names.
          if (error instanceof TemplateError && registered.has(error.variable.split(".")[0] ?? "")) continue;
          const where = error instanceof TemplateError ? locateArg(task, error.argPath) : task.pos;
          add(where, `task "${task.name}" (${task.op}) on ${host.name}: ${errorMessage(error)}`);
        }
      }
    }
  }
  for (const p of checkDataFlow(inventory, playbook, registry, stageHosts)) add(p.pos, p.message);
  for (const handler of playbook.handlers) {
    const op = registry.get(handler.op);
    if (!op) add(handler.pos, `handler "${handler.name}": unknown operation ${handler.op}`);
  }
  return problems;
}
