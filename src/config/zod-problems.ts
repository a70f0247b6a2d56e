// Turns zod issues into positioned problems that say what was expected and
// what was found. Schemas may set their own "expected …" text (schema-level
// `error`), which wins over the generic wording in describeIssue.
import { isScalar } from "yaml";
import type { z } from "zod";
import { formatFound, formatPath, type Problem } from "./problem.js";
import { allowedKeysAt, keyOwnersAt } from "./schema-keys.js";
import { closeNames } from "./suggest.js";
import { type KeyPath, problemAt, type YamlSource } from "./yaml-source.js";

type Issue = z.core.$ZodIssue;
type RawIssue = z.core.$ZodRawIssue;

const article = (noun: string): string => (/^[aeiou]/.test(noun) ? `an ${noun}` : `a ${noun}`);

const TYPE_NAMES: Record<string, string> = {
  object: "mapping",
  record: "mapping",
  array: "list",
  string: "string",
  number: "number",
  int: "integer",
  boolean: "boolean (true or false)",
};

const FORMAT_NAMES: Record<string, string> = {
  ipv4: "an IPv4 address like 192.0.2.10",
  mac: 'a MAC address like "52:54:00:12:34:56" (quote it)',
  regex: "a value matching the allowed pattern",
};

const bound = (iss: {
  origin?: string;
  minimum?: unknown;
  maximum?: unknown;
  inclusive?: boolean;
}): string => {
  const limit = Number(iss.minimum ?? iss.maximum);
  const isMin = iss.minimum !== undefined;
  const strict = iss.inclusive === false;
  switch (iss.origin) {
    case "string":
      return isMin ? `at least ${limit} characters` : `at most ${limit} characters`;
    case "array":
    case "set":
      return isMin ? `at least ${limit} items` : `at most ${limit} items`;
    default:
      return isMin ? `a number ${strict ? ">" : ">="} ${limit}` : `a number ${strict ? "<" : "<="} ${limit}`;
  }
};

/**
 * Per-parse error map: the "expected …" part of a message, used where the
 * schema did not set its own text. Exported for tests and other schemas.
 */
export const describeIssue = (iss: RawIssue): string => {
  switch (iss.code) {
    case "invalid_type":
      return `expected ${article(TYPE_NAMES[iss.expected] ?? iss.expected)}`;
    case "invalid_value":
      return `expected one of: ${iss.values.map((v) => String(v)).join(", ")}`;
    case "invalid_format":
      return `expected ${FORMAT_NAMES[iss.format] ?? article(iss.format)}`;
    case "too_small":
    case "too_big":
      return `expected ${bound(iss as never)}`;
    case "not_multiple_of":
      return `expected a multiple of ${String(iss.divisor)}`;
    case "invalid_union":
      if ("options" in iss && Array.isArray(iss.options))
        return `expected one of: ${iss.options.map((v) => String(v)).join(", ")}`;
      return "expected one of the allowed forms";
    case "invalid_key":
      return "invalid key";
    default:
      return iss.message ?? "invalid value";
  }
};

/** Options for `schema.safeParse` so issues carry their input and readable text. */
export const parseOptions = { reportInput: true, error: describeIssue } as const;

const pathOf = (iss: Issue): KeyPath => iss.path as KeyPath;

/** Secret fields: "password", "secret", "x_password"; not "password_env" or "password_file" (names, paths). */
const SECRET_KEY = /(^|_)(password|secret)$/i;

/** The found value as shown, secrets only by their length. */
const hiddenOrFound = (path: KeyPath, input: unknown): string =>
  SECRET_KEY.test(String(path.at(-1) ?? "")) && typeof input === "string"
    ? `a hidden value of ${input.length} characters`
    : formatFound(input);

/**
 * The found value as shown: secrets only by length; a number YAML could not
 * represent (1e400 → Infinity) as written in the file, not as JSON's "null".
 */
const foundAt = (source: YamlSource, path: KeyPath, input: unknown): string => {
  if (SECRET_KEY.test(String(path.at(-1) ?? "")) && typeof input === "string")
    return `a hidden value of ${input.length} characters`;
  if (typeof input === "number" && !Number.isFinite(input)) {
    const node = source.doc.getIn(path as unknown[], true);
    const text = isScalar(node) && typeof node.source === "string" ? node.source : String(input);
    return `${formatFound(text).replace(/^"|"$/g, "")} (not a finite number)`;
  }
  return formatFound(input);
};

/** One problem of an issue, before it is positioned: where (data path, and whether the key itself), what. */
export interface IssuePart {
  readonly path: KeyPath;
  readonly target: "value" | "key";
  readonly message: string;
}

/**
 * What one zod issue says, as one or more parts (an unknown-keys issue yields
 * one per key, with "did you mean"). `found` shows the value at a path.
 */
export const issueParts = (
  iss: Issue,
  schema: z.core.$ZodType,
  found: (path: KeyPath, input: unknown) => string = hiddenOrFound,
): IssuePart[] => {
  const path = pathOf(iss);
  if (iss.code === "unrecognized_keys") {
    const allowed = allowedKeysAt(schema, path);
    return iss.keys.map((key) => {
      // A key of another option of a union (path: on a tcp health check): say whose it is.
      const owners = allowed.includes(key) ? keyOwnersAt(schema, path, key) : [];
      const close = allowed.includes(key) ? [] : closeNames(key, allowed);
      const hint = allowed.includes(key)
        ? `; it applies only ${owners.length > 0 ? `with ${owners.join(" or ")}` : "to another kind of this block"}`
        : close.length > 0
          ? `; did you mean ${close.map((k) => `"${k}"`).join(" or ")}?`
          : allowed.length > 0
            ? `; expected one of: ${allowed.join(", ")}`
            : "";
      return {
        path: [...path, key],
        target: "key" as const,
        message: `unknown key ${formatFound(key)}${hint}`,
      };
    });
  }
  if (iss.code === "invalid_key") {
    const inner = iss.issues[0];
    const what = inner ? inner.message : iss.message;
    return [{ path, target: "key", message: `invalid name: ${what}, found ${formatFound(iss.input)}` }];
  }
  if (iss.code === "invalid_union" && iss.path.length > 0 && "discriminator" in iss) {
    // A discriminated union without a matching tag: point at the tag itself.
    const input = iss.input as Record<string, unknown> | undefined;
    const tag = input && typeof input === "object" ? input[String(iss.path.at(-1))] : undefined;
    return [{ path, target: "value", message: `${iss.message}, found ${formatFound(tag)}` }];
  }
  if (iss.input === undefined && iss.code === "invalid_type") {
    return [{ path, target: "value", message: `missing required key (${iss.message})` }];
  }
  return [{ path, target: "value", message: `${iss.message}, found ${found(path, iss.input)}` }];
};

/** Converts one zod issue into one or more problems (an unknown-keys issue yields one per key). */
export const issueToProblems = (source: YamlSource, iss: Issue, schema: z.core.$ZodType): Problem[] =>
  issueParts(iss, schema, (path, input) => foundAt(source, path, input)).map((part) =>
    problemAt(source, part.path, formatPath(part.path), part.message, part.target),
  );

/** All problems of a failed parse; `schema` is the root schema (for "did you mean" on unknown keys). */
export const zodErrorToProblems = (
  source: YamlSource,
  error: z.ZodError,
  schema: z.core.$ZodType,
): Problem[] => error.issues.flatMap((iss) => issueToProblems(source, iss, schema));
