// When --limit, --tags or a rolling batch leaves out a task whose data a
// selected task needs (a limited director needs its peers' data planes; --tags
// persist needs the mark rules), that producer runs READ-ONLY on the hosts
// concerned: its facts are read and it plans, in check mode through a
// transport that refuses anything but reads, and only what it produces is kept.
// Never a change outside the selection. Resolved transitively (the mark rules
// need every director's data plane) before the run starts.
import type { Host, Inventory } from "../inventory/model.js";
import type { OperationRegistry } from "../operations/registry.js";
import type { Playbook, Task } from "../playbook/model.js";

/** Where a task is in the playbook. */
export interface TaskPos {
  readonly stage: number;
  readonly task: number;
}

/** Producer tasks to run read-only: stage index → host → tasks (playbook order). */
export type DataReads = Map<number, Map<string, Task[]>>;

export interface ReadsInput {
  readonly inventory: Inventory;
  readonly playbook: Playbook;
  readonly registry: OperationRegistry;
  /** Hosts each stage targets (resolved once). */
  readonly stageHosts: readonly ReadonlySet<string>[];
  /** Whether a task runs (applies or checks) on a host in this run/batch. */
  readonly selected: (pos: TaskPos, host: string) => boolean;
}

const before = (a: TaskPos, b: TaskPos, sameHost: boolean): boolean =>
  sameHost ? a.stage < b.stage || (a.stage === b.stage && a.task < b.task) : a.stage < b.stage;

export function planDataReads(input: ReadsInput): DataReads {
  const { inventory, playbook, registry, stageHosts } = input;
  const hostByName = new Map(inventory.hosts.map((h) => [h.name, h]));
  const produces = (pos: TaskPos, host: Host): readonly string[] => {
    const task = playbook.stages[pos.stage]?.tasks[pos.task];
    const op = task && registry.get(task.op);
    return op?.produces?.({ host, inventory }).map((k) => k.name) ?? [];
  };
  const positions: TaskPos[] = playbook.stages.flatMap((s, stage) =>
    s.tasks.map((_, task) => ({ stage, task })),
  );
  const read = new Set<string>(); // "stage:task:host"
  const reads: DataReads = new Map();
  const runs = (pos: TaskPos, host: string) =>
    input.selected(pos, host) || read.has(`${pos.stage}:${pos.task}:${host}`);

  const queue: { pos: TaskPos; host: string }[] = [];
  for (const pos of positions)
    for (const host of stageHosts[pos.stage] ?? []) if (input.selected(pos, host)) queue.push({ pos, host });

  while (queue.length > 0) {
    const { pos, host } = queue.shift()!;
    const task = playbook.stages[pos.stage]!.tasks[pos.task]!;
    const self = hostByName.get(host);
    const op = registry.get(task.op);
    if (!self || !op?.consumes) continue;
    for (const need of op.consumes({ host: self, inventory })) {
      for (const from of need.hosts) {
        const fromHost = hostByName.get(from);
        if (!fromHost) continue;
        // The producer whose value this consumer sees: the last one before it on that host.
        const producer = positions
          .filter(
            (p) =>
              before(p, pos, from === host) &&
              stageHosts[p.stage]?.has(from) &&
              produces(p, fromHost).includes(need.key.name),
          )
          .at(-1);
        if (!producer || runs(producer, from)) continue;
        read.add(`${producer.stage}:${producer.task}:${from}`);
        const byHost = reads.get(producer.stage) ?? new Map<string, Task[]>();
        reads.set(producer.stage, byHost);
        byHost.set(from, [
          ...(byHost.get(from) ?? []),
          playbook.stages[producer.stage]!.tasks[producer.task]!,
        ]);
        queue.push({ pos: producer, host: from });
      }
    }
  }
  // Keep each host's tasks in playbook order (they were added in discovery order).
  for (const [stage, byHost] of reads) {
    const order = playbook.stages[stage]!.tasks;
    for (const [host, tasks] of byHost)
      byHost.set(
        host,
        [...new Set(tasks)].sort((a, b) => order.indexOf(a) - order.indexOf(b)),
      );
  }
  return reads;
}
