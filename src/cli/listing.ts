// --list-hosts and --list-tasks: what a run would touch, contacting nothing.
import { describeSerial, makeBatches, type SerialSpec } from "../engine/batches.js";
import { planDataReads } from "../engine/data-reads.js";
import { effectiveTags, type TagFilter, taskSelected } from "../engine/select.js";
import type { Host, Inventory } from "../inventory/model.js";
import { selectHosts } from "../inventory/pattern.js";
import type { OperationRegistry } from "../operations/registry.js";
import type { Playbook } from "../playbook/model.js";

export interface ListingInput {
  readonly inventory: Inventory;
  readonly playbook: Playbook;
  readonly registry: OperationRegistry;
  readonly hosts: readonly Host[];
  readonly filter: TagFilter;
  readonly serial: SerialSpec | undefined;
  /** Batches used when --serial is not given and the cluster is serving (decided when the run starts). */
  readonly servingSerial?: SerialSpec;
}

const names = (hosts: readonly { name: string }[]) => hosts.map((h) => h.name).join(", ");

export function listHosts(input: ListingInput): string[] {
  const { inventory, playbook, hosts, filter } = input;
  const lines = [`playbook: ${playbook.name}`, `  hosts (${hosts.length}): ${names(hosts)}`];
  const batches = makeBatches(hosts, input.serial);
  if (batches.length > 1)
    lines.push(
      `  batches (${describeSerial(input.serial)}): ${batches.map((b) => `[${names(b)}]`).join(" ")}`,
    );
  const serving = input.serial ? [] : makeBatches(hosts, input.servingSerial);
  if (serving.length > 1)
    lines.push(
      `  batches when a director holds a VIP (${describeSerial(input.servingSerial)}; otherwise all at once): ${serving.map((b) => `[${names(b)}]`).join(" ")}`,
    );
  for (const stage of playbook.stages) {
    if (!stage.tasks.some((t) => taskSelected(stage, t, filter))) continue;
    const on = selectHosts(inventory, stage.hosts).filter((h) => hosts.includes(h));
    lines.push(`  stage "${stage.name}" (${on.length}): ${names(on) || "-"}`);
  }
  return lines;
}

export function listTasks(input: ListingInput): string[] {
  const { inventory, playbook, hosts, filter } = input;
  const lines = [`playbook: ${playbook.name}`];
  const stageHosts = playbook.stages.map((s) => new Set(selectHosts(inventory, s.hosts).map((h) => h.name)));
  const inRun = new Set(hosts.map((h) => h.name));
  const reads = planDataReads({
    inventory,
    playbook,
    registry: input.registry,
    stageHosts,
    selected: (pos, host) => {
      const stage = playbook.stages[pos.stage]!;
      return (
        inRun.has(host) &&
        stageHosts[pos.stage]!.has(host) &&
        taskSelected(stage, stage.tasks[pos.task]!, filter)
      );
    },
  });
  playbook.stages.forEach((stage, s) => {
    const tasks = stage.tasks.filter((t) => taskSelected(stage, t, filter));
    const on = hosts.filter((h) => stageHosts[s]!.has(h.name));
    if (tasks.length > 0 && on.length > 0) {
      lines.push(`  stage "${stage.name}" on ${names(on)}:`);
      for (const t of tasks)
        lines.push(`    ${t.name}  (${t.op}) TAGS: [${effectiveTags(stage, t).join(", ")}]`);
    }
    // Hosts that read the same tasks share a line.
    const byTasks = new Map<string, string[]>();
    for (const [host, read] of reads.get(s) ?? []) {
      const what = read.map((t) => t.name).join(", ");
      byTasks.set(what, [...(byTasks.get(what) ?? []), host]);
    }
    for (const [what, on] of byTasks)
      lines.push(`  stage "${stage.name}" read-only on ${on.join(", ")} (data for the selection): ${what}`);
  });
  return lines;
}
