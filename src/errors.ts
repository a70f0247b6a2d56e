// The one place that maps error kinds to exit codes and to the single line an
// operator reads. Every user-facing error class extends UserError; the CLI's
// top-level catch (cli/main.ts) asks describeError() and prints its answer.
// Anything else is a bug: one readable line too (the stack only with
// LVSPLAY_DEBUG=1), never a raw stack trace on a user's terminal.

/** Exit codes (README, "Exit codes"). */
export const ExitCode = {
  /** Success; in check/audit mode: nothing pending. */
  ok: 0,
  /** Invalid input, usage or internal error — no host was touched. */
  invalid: 1,
  /** Check/audit mode: changes are pending (drift). */
  drift: 2,
  /** One or more hosts failed or were unreachable. */
  hostsFailed: 3,
  /** Interrupted by SIGINT (128 + 2). */
  interrupted: 130,
  /** Terminated by SIGTERM (128 + 15). */
  terminated: 143,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export type ErrorKind =
  /** Inventory, playbook or topology content. */
  | "invalid-input"
  /** Flags and arguments. */
  | "usage"
  /** The namespace or VM lab could not do what was asked. */
  | "lab"
  /** Another run holds the cluster lock. */
  | "locked";

const EXIT_BY_KIND: Record<ErrorKind, number> = {
  "invalid-input": ExitCode.invalid,
  usage: ExitCode.invalid,
  lab: ExitCode.invalid,
  locked: ExitCode.invalid,
};

/** An error the user can act on: its message is the whole story, no stack. */
export class UserError extends Error {
  override readonly name: string = "UserError";
  constructor(
    readonly kind: ErrorKind,
    message: string,
    /** Printed before the message, e.g. "lvsplay lab". */
    readonly prefix = "lvsplay",
    /** Printed after the message when nothing was changed. */
    readonly suffix = kind === "lab" ? "" : "; nothing was changed.",
  ) {
    super(message);
  }

  get exitCode(): number {
    return EXIT_BY_KIND[this.kind];
  }

  /**
   * Whether the message is several lines on purpose (lab reports). Otherwise a
   * newline in it came from input (a path, a flag value) and is escaped like
   * every control character: it cannot forge a second error line.
   */
  protected readonly multiLine: boolean = false;

  /** The text on stderr, control characters escaped (input is echoed in messages). */
  render(): string {
    return `${this.prefix}: ${escapeControl(this.message, !this.multiLine)}${this.suffix}\n`;
  }
}

/** Usage errors (bad flag values, contradictory options). */
export class UsageError extends UserError {
  override readonly name: string = "UsageError";
  constructor(message: string) {
    super("usage", message);
  }
}

export interface DescribedError {
  readonly exitCode: number;
  /** What to print on stderr (ends with a newline), or "" when it was printed already. */
  readonly text: string;
}

const isControl = (code: number, keepNewline: boolean): boolean =>
  (code < 0x20 && !(keepNewline && code === 0x0a) && code !== 0x09) || (code >= 0x7f && code <= 0x9f);

/**
 * Control characters in text echoed from input would drive the terminal or
 * forge lines: shown as \xNN. Newlines are kept (multi-line messages) unless
 * `singleLine`, for values that must stay on their line.
 */
export function escapeControl(text: string, singleLine = false): string {
  let out = "";
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    out += isControl(code, !singleLine) ? `\\x${code.toString(16).padStart(2, "0")}` : ch;
  }
  return out;
}

/**
 * A value from input, quoted for a message: JSON string syntax (control
 * characters become escapes, so the message stays on its line) and cut after
 * `max` characters, so a megabyte of input does not become a megabyte of error.
 */
export function quoteInput(value: string, max = 80): string {
  const chars = [...value];
  const cut = chars.length > max ? `${chars.slice(0, max - 1).join("")}…` : value;
  return JSON.stringify(cut);
}

export function describeError(error: unknown): DescribedError {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && code.startsWith("commander.")) {
    // commander printed its own message already.
    const helpish =
      code === "commander.helpDisplayed" || code === "commander.version" || code === "commander.help";
    return { exitCode: helpish ? ExitCode.ok : ExitCode.invalid, text: "" };
  }
  if (error instanceof UserError) return { exitCode: error.exitCode, text: error.render() };
  const debug = process.env["LVSPLAY_DEBUG"] === "1";
  const message = error instanceof Error ? error.message : String(error);
  const detail = debug && error instanceof Error && error.stack ? `\n${error.stack}` : "";
  return {
    exitCode: ExitCode.invalid,
    text: `lvsplay: internal error: ${escapeControl(message)} (set LVSPLAY_DEBUG=1 for the stack)${detail}\n`,
  };
}
