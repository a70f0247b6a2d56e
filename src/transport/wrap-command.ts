// Turns a Command into the argv + stdin actually executed: privilege escalation
// with sudo and a remote-side timeout. Shared by the SSH and local transports.
import type { BecomeSettings } from "../inventory/model.js";
import { shellJoin } from "./quote.js";
import type { Command } from "./types.js";

/** Grace period between `timeout`'s TERM and its KILL. */
export const KILL_AFTER_SEC = 5;
/** coreutils `timeout` exits with 124 when the time limit was hit. */
export const TIMEOUT_EXIT_CODE = 124;

export interface WrapContext {
  readonly become: BecomeSettings;
  /** The command already runs as root: sudo is pointless (and may not be installed). */
  readonly runsAsRoot: boolean;
  /** Applied when the command sets no timeoutSec; undefined/0 → no limit. */
  readonly defaultTimeoutSec?: number;
  /** Multiplies the time limit (inventory `timeout_scale`: hosts far slower than usual). */
  readonly timeoutScale?: number;
  /** Where become.passwordEnv is looked up (process.env by default). */
  readonly env?: NodeJS.ProcessEnv;
}

export interface WrappedCommand {
  readonly argv: readonly string[];
  readonly stdin?: string;
  /** Effective time limit in seconds, if any. */
  readonly timeoutSec?: number;
}

/**
 * Reads the password line, writes a private askpass helper that prints it
 * from the environment (never from a file or argv), runs the command through
 * `sudo -A`, and removes the helper. The rest of stdin reaches the command.
 */
export const SUDO_WITH_ASKPASS = [
  "IFS= read -r LVSPLAY_SUDO_PW || exit 1",
  "export LVSPLAY_SUDO_PW",
  "askpass=$(mktemp) || exit 1",
  "trap 'rm -f \"$askpass\"' EXIT",
  'printf \'#!/bin/sh\\nprintf "%%s\\\\n" "$LVSPLAY_SUDO_PW"\\n\' > "$askpass" && chmod 700 "$askpass" || exit 1',
  'SUDO_ASKPASS="$askpass" sudo -A -p "" -- "$@"',
].join("\n");

export function wrapCommand(command: Command, context: WrapContext): WrappedCommand {
  if (command.argv.length === 0) throw new Error("cannot run an empty command");
  const baseSec = command.timeoutSec ?? context.defaultTimeoutSec;
  const timeoutSec = baseSec === undefined ? undefined : Math.ceil(baseSec * (context.timeoutScale ?? 1));
  const limited = timeoutSec !== undefined && timeoutSec > 0;
  if (limited && !Number.isFinite(timeoutSec)) throw new Error(`invalid timeout ${timeoutSec}`);
  // timeout runs inside sudo so that it has the rights to kill a root command.
  let argv: string[] = limited
    ? ["timeout", `--kill-after=${KILL_AFTER_SEC}`, String(timeoutSec), ...command.argv]
    : [...command.argv];
  let stdin = command.stdin;
  if (command.become && context.become.enabled && !context.runsAsRoot) {
    const envName = context.become.passwordEnv;
    // Read at load (inventory/secrets.ts); the environment lookup serves settings built without the loader.
    const loaded = context.become.password?.reveal();
    if (loaded === undefined && envName === undefined) {
      // -n: fail at once instead of hanging on a password prompt.
      argv = ["sudo", "-n", "--", ...argv];
    } else {
      const password = loaded ?? (context.env ?? process.env)[envName ?? ""];
      if (password === undefined) {
        throw new Error(`become password variable ${envName} is not set in the environment`);
      }
      // The password travels as the first stdin line, read by the remote shell
      // itself and handed to sudo only if sudo asks (askpass). `sudo -S` would
      // pass it on to the command whenever sudo does not need it (NOPASSWD,
      // cached ticket) — into every file lvsplay installs.
      argv = ["sh", "-c", SUDO_WITH_ASKPASS, "lvsplay-sudo", ...argv];
      stdin = `${password}\n${command.stdin ?? ""}`;
    }
  }
  return {
    argv,
    ...(stdin !== undefined ? { stdin } : {}),
    ...(limited ? { timeoutSec } : {}),
  };
}

/** Seconds after which the local backstop gives up on a command the remote `timeout` did not stop. */
export function backstopSec(timeoutSec: number): number {
  return timeoutSec + KILL_AFTER_SEC + 5;
}

/** Longest command text a time-out message quotes. */
const WHAT_MAX_CHARS = 300;

/**
 * The command as a message names it: its own `what`, else its argv quoted,
 * with an inline script (`sh -c SCRIPT NAME ARGS…`) shown as `sh -c …` and
 * its name and arguments kept, cut to a readable length.
 */
export function describeCommand(command: Command): string {
  const [program, flag, , ...rest] = command.argv;
  const text =
    command.what ??
    (program === "sh" && flag === "-c" && command.argv.length >= 3
      ? `sh -c …${rest.length > 0 ? ` ${shellJoin(rest)}` : ""}`
      : shellJoin(command.argv));
  return text.length > WHAT_MAX_CHARS ? `${text.slice(0, WHAT_MAX_CHARS - 1)}…` : text;
}

/** What a time-out hit: the command and the limit (as the code set it and as the host's timeout_scale made it). */
export interface TimedOut {
  readonly command: Command;
  /** The effective limit (WrappedCommand.timeoutSec). */
  readonly timeoutSec: number;
  /** The host's inventory `timeout_scale`, when it multiplied the limit. */
  readonly scale?: number;
}

/**
 * Note a time-out in stderr so the caller sees why the command failed (the
 * CommandResult has no separate field for it): which command, which limit,
 * and how it was stopped — the one line a failed run's output must carry.
 */
export function noteTimeout(stderr: string, timedOut: TimedOut, how: string): string {
  const separator = stderr === "" || stderr.endsWith("\n") ? "" : "\n";
  const { command, timeoutSec, scale } = timedOut;
  const base = command.timeoutSec;
  const scaled = scale !== undefined && scale !== 1;
  const limit = !scaled
    ? ""
    : base !== undefined && base > 0
      ? `limit ${base} s × timeout_scale ${scale}; `
      : `timeout_scale ${scale}; `;
  return `${stderr}${separator}lvsplay: command timed out after ${timeoutSec}s (${limit}${how}): ${describeCommand(command)}\n`;
}
