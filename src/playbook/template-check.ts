// What `{{ … }}` can see on a host, and the check that every reference in a
// playbook resolves on every host it targets — done before anything runs.
import { ConfigError, type Problem, sortProblems } from "../config/problem.js";
import type { Host, Inventory } from "../inventory/model.js";
import { selectHosts } from "../inventory/pattern.js";
import { locateArg, locateField } from "./locate.js";
import type { Handler, Playbook, Task } from "./model.js";
import { collectRefs, lookupVariable } from "./template-render.js";

/**
 * Variables of one host: its merged vars, then values registered by earlier
 * tasks on this host (`published[host][register]`), then the built-in `host`
 * ({{ host.name }}, {{ host.address }}, {{ host.interface }}, {{ host.groups }}), which wins.
 */
export const templateVarsFor = (
  host: Host,
  published: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {},
): Record<string, unknown> => ({
  ...host.vars,
  ...(published[host.name] ?? {}),
  host: {
    name: host.name,
    // An IPv4 address: a DNS name's address as resolved for this run.
    address: host.connection.resolvedAddress ?? host.connection.address,
    groups: host.groups,
    ...(host.interface === undefined ? {} : { interface: host.interface }),
  },
});

/** Problems for references that do not resolve (registers from earlier stages count as known). */
export const findTemplateProblems = (playbook: Playbook, inventory: Inventory): Problem[] => {
  const problems: Problem[] = [];
  const registers = new Set<string>();
  const handlerHosts = new Map<string, Host[]>();

  const checkOwner = (owner: Task | Handler, hosts: readonly Host[], where: string) => {
    for (const ref of collectRefs(owner.args)) {
      const pos = locateArg(owner, ref.argPath);
      const argPath = ["args", ...ref.argPath].map((p) =>
        typeof p === "number" ? `[${p}]` : `.${String(p)}`,
      );
      const path = `${where}${argPath.join("")}`;
      if (ref.variable === "") {
        problems.push({ ...pos, path, message: "malformed template: use {{ name }} or {{ a.b }}" });
        continue;
      }
      if (registers.has(ref.variable.split(".")[0]!)) continue;
      const missingOn = hosts
        .filter((h) => !lookupVariable(templateVarsFor(h), ref.variable).found)
        .map((h) => h.name);
      if (missingOn.length > 0)
        problems.push({
          ...pos,
          path,
          message: `unknown variable ${JSON.stringify(ref.variable)} on host ${missingOn.join(", ")}`,
        });
    }
  };

  playbook.stages.forEach((stage, s) => {
    let hosts: Host[];
    try {
      hosts = selectHosts(inventory, stage.hosts);
    } catch (err) {
      const pos = locateField(stage, ["hosts"]);
      problems.push({ ...pos, path: `stages[${s}].hosts`, message: (err as Error).message });
      return;
    }
    stage.tasks.forEach((task, t) => {
      checkOwner(task, hosts, `stages[${s}].tasks[${t}]`);
      for (const name of task.notify) handlerHosts.set(name, [...(handlerHosts.get(name) ?? []), ...hosts]);
    });
    // A stage's args are rendered before its tasks run: registered values are
    // usable from the NEXT stage on (and by handlers, which run after the stage).
    for (const task of stage.tasks) if (task.register) registers.add(task.register);
  });
  playbook.handlers.forEach((handler, i) => {
    const notified = new Set(handlerHosts.get(handler.name) ?? []);
    const hosts = inventory.hosts.filter((h) => notified.has(h));
    checkOwner(handler, hosts, `handlers[${i}]`);
  });
  return sortProblems(problems);
};

/** Throws a ConfigError listing every unresolved reference, for every targeted host. */
export const validateTemplateRefs = (playbook: Playbook, inventory: Inventory): void => {
  const problems = findTemplateProblems(playbook, inventory);
  if (problems.length > 0) throw new ConfigError(problems);
};
