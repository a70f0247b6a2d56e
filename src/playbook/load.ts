// Playbook loading: YAML (with positions) → schema → checks that need the
// whole playbook (known ops, notify targets, unique names) → Playbook model.
// Task args stay raw; their positions are kept in locate.ts.
import { basename, extname } from "node:path";
import { ConfigError, formatPath, type Problem } from "../config/problem.js";
import { readConfigFile } from "../config/read-file.js";
import { closeNames } from "../config/suggest.js";
import { type KeyPath, parseYaml, positionAt, problemAt, type YamlSource } from "../config/yaml-source.js";
import { parseOptions, zodErrorToProblems } from "../config/zod-problems.js";
import { rememberOrigin } from "./locate.js";
import type { Handler, Playbook, SourcePos, Stage, Task } from "./model.js";
import { playbookSchema, type RawPlaybook } from "./schema.js";

export interface PlaybookOptions {
  /** Names of the registered operations; any other `op` is an error. */
  readonly knownOps: ReadonlySet<string>;
}

const didYouMean = (name: string, candidates: Iterable<string>): string => {
  const close = closeNames(name, candidates);
  return close.length > 0 ? `; did you mean ${close.map((c) => JSON.stringify(c)).join(" or ")}?` : "";
};

const checkPlaybook = (raw: RawPlaybook, options: PlaybookOptions): { path: KeyPath; message: string }[] => {
  const problems: { path: KeyPath; message: string }[] = [];
  const handlers = raw.handlers ?? [];
  const checkOp = (op: string, path: KeyPath) => {
    if (!options.knownOps.has(op)) {
      const hint = didYouMean(op, options.knownOps) || ' (run "lvsplay ops" to list operations)';
      problems.push({ path, message: `unknown operation ${JSON.stringify(op)}${hint}` });
    }
  };
  const checkUnique = (names: string[], path: (i: number) => KeyPath, what: string) =>
    names.forEach((name, i) => {
      const first = names.indexOf(name);
      if (first !== i)
        problems.push({ path: path(i), message: `${what} name ${JSON.stringify(name)} is already used` });
    });

  checkUnique(
    handlers.map((h) => h.name),
    (i) => ["handlers", i, "name"],
    "handler",
  );
  checkUnique(
    raw.stages.map((s) => s.name),
    (i) => ["stages", i, "name"],
    "stage",
  );
  for (const [i, handler] of handlers.entries()) checkOp(handler.op, ["handlers", i, "op"]);
  const handlerNames = handlers.map((h) => h.name);
  for (const [s, stage] of raw.stages.entries()) {
    for (const [t, task] of stage.tasks.entries()) {
      checkOp(task.op, ["stages", s, "tasks", t, "op"]);
      const notify = typeof task.notify === "string" ? [task.notify] : (task.notify ?? []);
      for (const [n, name] of notify.entries()) {
        if (handlerNames.includes(name)) continue;
        const path: KeyPath = [
          "stages",
          s,
          "tasks",
          t,
          "notify",
          ...(typeof task.notify === "string" ? [] : [n]),
        ];
        const message = `no handler named ${JSON.stringify(name)}${didYouMean(name, handlerNames)}`;
        problems.push({ path, message });
      }
    }
  }
  return problems;
};

const buildPlaybook = (raw: RawPlaybook, source: YamlSource): Playbook => {
  const posAt = (path: KeyPath): SourcePos => ({ file: source.file, ...positionAt(source, path) });
  const handlers = (raw.handlers ?? []).map((h, i): Handler => {
    const path: KeyPath = ["handlers", i];
    const handler: Handler = { name: h.name, op: h.op, args: h.args ?? {}, pos: posAt(path) };
    rememberOrigin(handler, source, path);
    return handler;
  });
  const stages = raw.stages.map((s, i): Stage => {
    const stagePath: KeyPath = ["stages", i];
    const tasks = s.tasks.map((t, j): Task => {
      const path: KeyPath = [...stagePath, "tasks", j];
      const task: Task = {
        name: t.name ?? t.op,
        op: t.op,
        args: t.args ?? {},
        notify: typeof t.notify === "string" ? [t.notify] : [...(t.notify ?? [])],
        tags: [...(t.tags ?? [])],
        ...(t.register === undefined ? {} : { register: t.register }),
        pos: posAt(path),
      };
      rememberOrigin(task, source, path);
      return task;
    });
    const stage: Stage = {
      name: s.name,
      hosts: s.hosts,
      tasks,
      tags: [...(s.tags ?? [])],
      pos: posAt(stagePath),
    };
    rememberOrigin(stage, source, stagePath);
    return stage;
  });
  const name = raw.name ?? basename(source.file, extname(source.file));
  return { file: source.file, name, stages, handlers };
};

/** Parses playbook YAML; `file` appears in messages and positions as given. */
export const parsePlaybook = (text: string, file: string, options: PlaybookOptions): Playbook => {
  const parsed = parseYaml(text, file);
  if (parsed.problems.length > 0) throw new ConfigError(parsed.problems);
  const result = playbookSchema.safeParse(parsed.data, parseOptions);
  if (!result.success) throw new ConfigError(zodErrorToProblems(parsed.source, result.error, playbookSchema));
  const problems: Problem[] = checkPlaybook(result.data, options).map((p) =>
    problemAt(parsed.source, p.path, formatPath(p.path), p.message),
  );
  if (problems.length > 0) throw new ConfigError(problems);
  return buildPlaybook(result.data, parsed.source);
};

export const loadPlaybook = (file: string, options: PlaybookOptions): Playbook =>
  parsePlaybook(readConfigFile(file), file, options);
