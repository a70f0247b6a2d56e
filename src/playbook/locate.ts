// Source positions inside tasks, handlers and stages, for errors found after
// loading (bad operation args, unknown template variables, bad host patterns).
// The model stays plain data: positions live in a side WeakMap keyed by the
// loaded Task/Handler/Stage objects. Objects not made by the loader (e.g. in
// tests) fall back to their own `pos`.
import { type KeyPath, positionAt, type YamlSource } from "../config/yaml-source.js";
import type { Handler, SourcePos, Stage, Task } from "./model.js";

interface Origin {
  readonly source: YamlSource;
  /** Path of the task/handler/stage mapping inside the playbook document. */
  readonly path: KeyPath;
}

const origins = new WeakMap<Task | Handler | Stage, Origin>();

/** Called by the loader for every object it creates. */
export const rememberOrigin = (owner: Task | Handler | Stage, source: YamlSource, path: KeyPath): void => {
  origins.set(owner, { source, path });
};

/** Position of a field of a task, handler or stage, e.g. ["hosts"] or ["args", "extra", 0]. */
export const locateField = (owner: Task | Handler | Stage, path: KeyPath): SourcePos => {
  const origin = origins.get(owner);
  if (!origin) return owner.pos;
  const { line, col } = positionAt(origin.source, [...origin.path, ...path]);
  return { file: origin.source.file, line, col };
};

/**
 * Position of something inside a task's or handler's `args`, by its path in the
 * raw args (as a zod issue path reports it). Missing parts resolve to the
 * nearest existing parent.
 */
export const locateArg = (owner: Task | Handler, path: KeyPath): SourcePos =>
  locateField(owner, ["args", ...path]);

/** The document path of a loaded object ("stages[0].tasks[2]" as segments), for messages. */
export const originPath = (owner: Task | Handler | Stage): KeyPath | undefined => origins.get(owner)?.path;
