// Finds which keys a (strict) object schema accepts at a data path, so an
// unknown key can be answered with "did you mean …?". Walks zod 4's public
// definition objects; unions contribute the keys of every object option.
import type { z } from "zod";
import type { KeyPath } from "./yaml-source.js";

type AnySchema = z.core.$ZodType;

interface Def {
  readonly type: string;
  readonly shape?: Record<string, AnySchema>;
  readonly innerType?: AnySchema;
  readonly valueType?: AnySchema;
  readonly element?: AnySchema;
  readonly options?: readonly AnySchema[];
  readonly in?: AnySchema;
  readonly left?: AnySchema;
  readonly right?: AnySchema;
}

const defOf = (schema: AnySchema): Def => schema._zod.def as unknown as Def;

/** Schemas reached by following wrappers (optional, default, pipe, union, …) without consuming a path segment. */
const unwrap = (schema: AnySchema): AnySchema[] => {
  const def = defOf(schema);
  switch (def.type) {
    case "optional":
    case "nullable":
    case "default":
    case "prefault":
    case "catch":
    case "readonly":
    case "nonoptional":
      return def.innerType ? unwrap(def.innerType) : [];
    case "pipe":
      return def.in ? unwrap(def.in) : [];
    case "union":
      return (def.options ?? []).flatMap(unwrap);
    case "intersection":
      return [...(def.left ? unwrap(def.left) : []), ...(def.right ? unwrap(def.right) : [])];
    default:
      return [schema];
  }
};

const child = (schema: AnySchema, segment: PropertyKey): AnySchema[] => {
  const def = defOf(schema);
  if (def.type === "object") {
    const next = def.shape?.[String(segment)];
    return next ? [next] : [];
  }
  if (def.type === "record" && def.valueType) return [def.valueType];
  if (def.type === "array" && def.element) return [def.element];
  return [];
};

export const allowedKeysAt = (root: AnySchema, path: KeyPath): string[] => {
  let current = unwrap(root);
  for (const segment of path) current = current.flatMap((s) => child(s, segment)).flatMap(unwrap);
  const keys = current.flatMap((s) => {
    const def = defOf(s);
    return def.type === "object" ? Object.keys(def.shape ?? {}) : [];
  });
  return [...new Set(keys)];
};

/**
 * For a key that exists at `path` only in other options of a union (a tcp
 * health check given `path:`, which belongs to kind: http): the option's tag
 * as "kind: http", one per option holding the key. Empty when no option has it.
 */
export const keyOwnersAt = (root: AnySchema, path: KeyPath, key: string): string[] => {
  let current = unwrap(root);
  for (const segment of path) current = current.flatMap((s) => child(s, segment)).flatMap(unwrap);
  const owners = current.flatMap((s) => {
    const shape = defOf(s).type === "object" ? (defOf(s).shape ?? {}) : {};
    if (!(key in shape)) return [];
    const tags = Object.entries(shape).flatMap(([name, field]) => {
      const values = (defOf(field) as { values?: readonly unknown[] }).values;
      return defOf(field).type === "literal" && values ? values.map((v) => `${name}: ${String(v)}`) : [];
    });
    return tags;
  });
  return [...new Set(owners)];
};
