// Preflight for typed data: every key a task consumes must have a producer
// earlier in the playbook, on the host it is read from (for another host's
// data: in an earlier stage, as stages are barriers). Found at validation time
// with the task's file:line:col, before any host is contacted.
import type { Host, Inventory } from "../inventory/model.js";
import type { OperationRegistry } from "../operations/registry.js";
import type { Playbook, SourcePos } from "../playbook/model.js";

export interface DataFlowProblem {
  readonly pos: SourcePos;
  readonly message: string;
}

export function checkDataFlow(
  inventory: Inventory,
  playbook: Playbook,
  registry: OperationRegistry,
  stageHosts: readonly (readonly Host[])[],
): DataFlowProblem[] {
  const problems: DataFlowProblem[] = [];
  const hostByName = new Map(inventory.hosts.map((h) => [h.name, h]));
  // key → host → positions (stage, task) that produce it there.
  const produced = new Map<string, Map<string, { stage: number; task: number }[]>>();
  const producers = new Map<string, Set<string>>(); // key → ops that can produce it
  for (const [s, stage] of playbook.stages.entries())
    for (const [t, task] of stage.tasks.entries()) {
      const op = registry.get(task.op);
      for (const host of stageHosts[s] ?? [])
        for (const key of op?.produces?.({ host, inventory }) ?? []) {
          const byHost = produced.get(key.name) ?? new Map();
          produced.set(key.name, byHost);
          byHost.set(host.name, [...(byHost.get(host.name) ?? []), { stage: s, task: t }]);
          producers.set(key.name, (producers.get(key.name) ?? new Set()).add(task.op));
        }
    }
  for (const op of registry.values())
    for (const host of inventory.hosts)
      for (const key of op.produces?.({ host, inventory }) ?? [])
        producers.set(key.name, (producers.get(key.name) ?? new Set()).add(op.name));

  for (const [s, stage] of playbook.stages.entries())
    for (const [t, task] of stage.tasks.entries()) {
      const op = registry.get(task.op);
      if (!op?.consumes) continue;
      const missing = new Map<string, { what: string; from: Set<string>; on: Set<string> }>();
      for (const host of stageHosts[s] ?? [])
        for (const need of op.consumes({ host, inventory }))
          for (const from of need.hosts) {
            if (!hostByName.has(from)) continue;
            const ok = (produced.get(need.key.name)?.get(from) ?? []).some((p) =>
              from === host.name ? p.stage < s || (p.stage === s && p.task < t) : p.stage < s,
            );
            if (ok) continue;
            const m = missing.get(need.key.name) ?? {
              what: need.key.description,
              from: new Set<string>(),
              on: new Set<string>(),
            };
            m.from.add(from);
            m.on.add(host.name);
            missing.set(need.key.name, m);
          }
      for (const [name, m] of missing) {
        const by = [...(producers.get(name) ?? [])];
        problems.push({
          pos: task.pos,
          message:
            `task "${task.name}" (${task.op}) on ${[...m.on].join(", ")} needs the ${m.what} (${name}) of ` +
            `${[...m.from].join(", ")}, but no earlier task produces it there` +
            (by.length > 0 ? `; add a task with op ${by.join(" or ")} to an earlier stage` : ""),
        });
      }
    }
  return problems;
}
