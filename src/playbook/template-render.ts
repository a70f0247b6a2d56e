// `{{ name }}` / `{{ a.b }}` substitution in task args. Only string values are
// rendered (map keys are not). A string that is exactly one reference yields
// the variable's raw value (a list stays a list, a number a number); otherwise
// references are interpolated into the text. There is no expression language
// on purpose: a reference is a dotted path into the host's variables.
import type { KeyPath } from "../config/yaml-source.js";

export class TemplateError extends Error {
  override readonly name = "TemplateError";
  constructor(
    message: string,
    /** The dotted variable reference ("" for a malformed template). */
    readonly variable: string,
    /** Where in the args the string was, for locateArg. */
    readonly argPath: KeyPath,
  ) {
    super(message);
  }
}

const REFERENCE = /\{\{\s*([A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*)\s*\}\}/g;
const WHOLE_REFERENCE = /^\{\{\s*([A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*)\s*\}\}$/;

export interface TemplateRef {
  /** Dotted reference, e.g. "pkg" or "net.vip". */
  readonly variable: string;
  readonly argPath: KeyPath;
}

/** Looks up a dotted path; numeric parts index lists. */
export const lookupVariable = (
  vars: Readonly<Record<string, unknown>>,
  variable: string,
): { found: boolean; value?: unknown } => {
  let current: unknown = vars;
  for (const part of variable.split(".")) {
    if (current === null || typeof current !== "object" || !Object.hasOwn(current, part))
      return { found: false };
    current = (current as Record<string, unknown>)[part];
  }
  return { found: true, value: current };
};

const asText = (value: unknown): string =>
  typeof value === "string"
    ? value
    : typeof value === "number" || typeof value === "boolean" || typeof value === "bigint"
      ? String(value)
      : JSON.stringify(value ?? null);

/** A string with "{{" left after removing valid references is malformed (e.g. "{{ a b }}", "{{ x"). */
const isMalformed = (text: string): boolean => text.replace(REFERENCE, "").includes("{{");

/** Every reference (and malformed template) in raw args, with where it is. */
export const collectRefs = (raw: unknown, path: KeyPath = []): TemplateRef[] => {
  if (typeof raw === "string") {
    const refs: TemplateRef[] = [...raw.matchAll(REFERENCE)].map((m) => ({ variable: m[1]!, argPath: path }));
    if (isMalformed(raw)) refs.push({ variable: "", argPath: path });
    return refs;
  }
  if (Array.isArray(raw)) return raw.flatMap((item, i) => collectRefs(item, [...path, i]));
  if (raw !== null && typeof raw === "object")
    return Object.entries(raw).flatMap(([key, value]) => collectRefs(value, [...path, key]));
  return [];
};

const renderString = (text: string, vars: Readonly<Record<string, unknown>>, path: KeyPath): unknown => {
  if (isMalformed(text))
    throw new TemplateError(
      `malformed template in ${JSON.stringify(text)}: use {{ name }} or {{ a.b }}`,
      "",
      path,
    );
  const resolve = (variable: string): unknown => {
    const { found, value } = lookupVariable(vars, variable);
    if (!found) throw new TemplateError(`unknown variable ${JSON.stringify(variable)}`, variable, path);
    return value;
  };
  const whole = WHOLE_REFERENCE.exec(text);
  if (whole) return resolve(whole[1]!);
  return text.replace(REFERENCE, (_, variable: string) => asText(resolve(variable)));
};

/** Renders every string in `raw` against `vars`; throws TemplateError on an unknown variable. */
export const renderArgs = (
  raw: unknown,
  vars: Readonly<Record<string, unknown>>,
  path: KeyPath = [],
): unknown => {
  if (typeof raw === "string") return renderString(raw, vars, path);
  if (Array.isArray(raw)) return raw.map((item, i) => renderArgs(item, vars, [...path, i]));
  if (raw !== null && typeof raw === "object")
    return Object.fromEntries(
      Object.entries(raw).map(([key, value]) => [key, renderArgs(value, vars, [...path, key])]),
    );
  return raw;
};
