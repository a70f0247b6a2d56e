// Everything that can be checked without a host: each task's args are rendered
// for every host it targets and parsed by its operation. Any problem here stops
// the run before a single connection is made.

import { z } from "zod";
import { formatPath } from "../config/problem.js";
import { issueParts, parseOptions } from "../config/zod-problems.js";
import type { Inventory } from "../inventory/model.js";
import { selectHosts } from "../inventory/pattern.js";
import type { OperationRegistry } from "../operations/registry.js";
import { locateArg } from "../playbook/locate.js";
import type { Handler, Playbook, SourcePos, Task } from "../playbook/model.js";
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
      // One problem per arg and message, not one per host: hosts are named only
      // when the problem is theirs alone (a template rendered differently).
      const found = new Map<string, { pos: SourcePos; text: string; hosts: string[] }>();
      for (const host of hosts) {
        let rendered: unknown;
        try {
          rendered = renderArgs(task.args, templateVarsFor(host));
          op.parseArgs(rendered);
        } catch (error) {
          // Values registered by earlier tasks exist only at run time; the template
          // checker already verified those names.
          if (error instanceof TemplateError && registered.has(error.variable.split(".")[0] ?? "")) continue;
          for (const p of argProblems(task, op, rendered, error)) {
            const key = `${p.pos.line}:${p.pos.col}:${p.text}`;
            const entry = found.get(key) ?? { ...p, hosts: [] };
            entry.hosts.push(host.name);
            found.set(key, entry);
          }
        }
      }
      for (const { pos, text, hosts: on } of found.values()) {
        const whose = on.length < hosts.length ? ` (on ${on.join(", ")})` : "";
        add(pos, `task "${task.name}" (${task.op}): ${text}${whose}`);
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

/**
 * A failed parse of a task's args as positioned problems: each zod issue at
 * its own key ("args.argv[1]: …", "args: unknown key "unles"; did you mean
 * "unless"?"), a template error where the template is, anything else at the task.
 */
function argProblems(
  task: Task | Handler,
  op: { readonly argsSchema?: z.ZodType },
  rendered: unknown,
  error: unknown,
): { pos: SourcePos; text: string }[] {
  if (error instanceof TemplateError)
    return [{ pos: locateArg(task, error.argPath), text: errorMessage(error) }];
  if (!(error instanceof z.ZodError)) return [{ pos: task.pos, text: errorMessage(error) }];
  const schema = op.argsSchema;
  // Parsed again with the readable messages the inventory and playbook loaders use.
  const again = schema?.safeParse(rendered ?? {}, parseOptions);
  const issues = again && !again.success ? again.error.issues : error.issues;
  return issues.flatMap((iss) =>
    issueParts(iss, schema ?? z.unknown()).map((part) => ({
      pos: locateArg(task, part.path),
      text: `${formatPath(["args", ...part.path])}: ${part.message}`,
    })),
  );
}
