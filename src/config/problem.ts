// Positioned configuration problems. Every loader (inventory, playbook,
// templates) reports what is wrong as `file:line:col: path: message` so a user
// can jump straight to the offending spot; all problems are collected and
// reported together instead of stopping at the first one.
import { escapeControl, UserError } from "../errors.js";

export interface Problem {
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly col: number;
  /** Key path like "hosts.ds1.port" or "lvs.services[0].vip"; "" when none applies (YAML syntax). */
  readonly path: string;
  readonly message: string;
}

/** Thrown by the loaders; carries every problem found, sorted by position. */
export class ConfigError extends UserError {
  override readonly name = "ConfigError";
  readonly problems: readonly Problem[];

  constructor(problems: readonly Problem[]) {
    // The same problem found twice (e.g. a number both too big and not an integer) is shown once.
    const sorted = sortProblems(problems).filter(
      (p, i, all) => i === 0 || formatProblem(p) !== formatProblem(all[i - 1]!),
    );
    super("invalid-input", formatProblems(sorted));
    this.problems = sorted;
  }

  override render(): string {
    const lines = this.problems.map((p) => escapeControl(formatProblem(p), true));
    return `${lines.join("\n")}\n${this.problems.length} problem(s); nothing was changed.\n`;
  }
}

export const sortProblems = (problems: readonly Problem[]): Problem[] =>
  [...problems].sort(
    (a, b) =>
      a.file.localeCompare(b.file) ||
      a.line - b.line ||
      a.col - b.col ||
      a.path.localeCompare(b.path) ||
      a.message.localeCompare(b.message),
  );

/** One line per problem: `inventory.yaml:12:11: hosts.ds1.port: expected …, found "abc"`. */
export const formatProblem = (p: Problem): string =>
  `${p.file}:${p.line}:${p.col}: ${p.path ? `${p.path}: ` : ""}${p.message}`;

export const formatProblems = (problems: readonly Problem[]): string =>
  problems.map(formatProblem).join("\n");

const MAX_FOUND_LENGTH = 40;

/** A found value shown JSON-ish and truncated, so a huge map does not flood the message. */
export const formatFound = (value: unknown): string => {
  let text: string;
  if (value === undefined) text = "nothing";
  else if (typeof value === "bigint") text = value.toString();
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  return text.length > MAX_FOUND_LENGTH ? `${text.slice(0, MAX_FOUND_LENGTH - 1)}…` : text;
};

/** Renders a key path: ["hosts", "ds1", "port"] → "hosts.ds1.port", ["a", 0, "b"] → "a[0].b". */
export const formatPath = (path: readonly PropertyKey[]): string => {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? cutKey(String(part)) : `.${cutKey(String(part))}`;
  }
  return out;
};

/** Keys longer than this are cut in paths (a 1000-character key is not a 1000-character message). */
const MAX_KEY_SHOWN = 64;
const cutKey = (key: string): string => {
  const chars = [...key];
  return chars.length > MAX_KEY_SHOWN ? `${chars.slice(0, MAX_KEY_SHOWN - 1).join("")}…` : key;
};
