// What a host's later stages in its batch may change, known before any of
// them reads a fact: the causes their tasks (and the handlers those notify)
// declare (Operation.mayCause). A rolling apply's drain keeps a director's VIP
// handed over while a later stage can still disrupt its traffic, so a change
// spread over several stages moves the VIP away and back once, not per stage.
import type { OperationRegistry } from "../operations/registry.js";
import type { Playbook, Task } from "../playbook/model.js";
import type { ChangeCause } from "./cause.js";

export function causesAhead(
  registry: OperationRegistry,
  playbook: Playbook,
  tasks: readonly Task[],
): ChangeCause[] {
  const of = (op: string, args: unknown) => registry.get(op)?.mayCause?.(args) ?? [];
  return tasks.flatMap((task) => [
    ...of(task.op, task.args),
    ...task.notify.flatMap((name) => {
      const handler = playbook.handlers.find((h) => h.name === name);
      return handler ? of(handler.op, handler.args) : [];
    }),
  ]);
}
