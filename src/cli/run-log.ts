// What -v/-vv and --log-file show: -v the commands sent to each host, -vv also
// their exit codes and output (fact outputs included), on stderr; --log-file
// appends the run's progress lines plus the same verbose lines (at the -v level
// at least) to a file, timestamped. Secrets never reach either: every line is
// redacted for the values of the inventory's secrets (the sudo password from its
// variable or file, key passphrase variables, the VRRP password) and for
// auth_pass lines; stdin is shown only by size (it carries file contents and
// sudo's password).
import { closeSync, constants, fstatSync, openSync, writeSync } from "node:fs";
import type { EventBus } from "../engine/events.js";
import { UsageError } from "../errors.js";
import type { Inventory } from "../inventory/model.js";
import { plainRenderer } from "../render/plain.js";
import { redactSecrets } from "../render/redact.js";
import { type CommandLog, loggingConnector } from "../transport/logging-connector.js";
import { shellJoin } from "../transport/quote.js";
import type { Command, CommandResult, Connector } from "../transport/types.js";
import { errorMessage } from "../util/error-message.js";

export interface RunLogFlags {
  /** 0 quiet, 1 (-v) commands, 2 (-vv) commands and their output. */
  readonly verbose?: number;
  readonly logFile?: string;
}

/** Secret values an inventory refers to, as found in the environment now. */
export function secretValues(inventory: Inventory, env: NodeJS.ProcessEnv = process.env): string[] {
  const names = new Set<string>();
  const values: string[] = [];
  for (const host of inventory.hosts) {
    if (host.connection.become.passwordEnv) names.add(host.connection.become.passwordEnv);
    if (host.connection.identityPassphraseEnv) names.add(host.connection.identityPassphraseEnv);
    // Read once at load, from password_env or a password_file.
    const sudo = host.connection.become.password?.reveal();
    if (sudo) values.push(sudo);
  }
  values.push(...[...names].map((n) => env[n]).filter((v): v is string => v !== undefined && v !== ""));
  const vrrp = inventory.lvs?.vrrp.auth?.password.reveal();
  if (vrrp) values.push(vrrp);
  // Longest first, so a secret containing another is replaced whole.
  return [...new Set(values)].sort((a, b) => b.length - a.length);
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: removing terminal colour codes is the point
const ANSI = /\x1b\[[0-9;]*m/g;

/** The log for a run of `inventory` as the flags ask (nothing when they ask nothing). */
export function openRunLog(flags: RunLogFlags, inventory: Inventory): RunLog {
  return new RunLog(flags, secretValues(inventory));
}

export class RunLog implements CommandLog {
  private readonly fd: number | undefined;
  private readonly verbosity: number;
  private readonly fileVerbosity: number;

  constructor(
    flags: RunLogFlags,
    private readonly secrets: readonly string[],
    private readonly stderr: (text: string) => void = (text) => process.stderr.write(text),
  ) {
    this.verbosity = flags.verbose ?? 0;
    // The file is for later: it gets the commands even without -v.
    this.fileVerbosity = Math.max(1, this.verbosity);
    if (flags.logFile !== undefined) {
      this.fd = openLogFile(flags.logFile);
      this.write(`lvsplay ${process.argv.slice(2).join(" ")} (pid ${process.pid})`);
    }
  }

  /** The connector, reporting its commands here when -v or --log-file asked for them. */
  wrap(connector: Connector): Connector {
    return this.verbosity > 0 || this.fd !== undefined ? loggingConnector(connector, this) : connector;
  }

  /** The run's progress lines into the log file too. */
  follow(events: EventBus, diff: boolean): void {
    if (this.fd !== undefined) events.subscribe(plainRenderer({ diff, write: this.event }));
  }

  redact(text: string): string {
    let out = redactSecrets(text);
    for (const secret of this.secrets) out = out.replaceAll(secret, "<redacted>");
    return out;
  }

  /** A progress line (the plain renderer's): the log file only. */
  readonly event = (text: string): void => {
    if (this.fd !== undefined) this.write(text.replace(ANSI, ""));
  };

  sent(host: string, command: Command): void {
    const extras = [
      ...(command.become ? ["become"] : []),
      ...(command.readOnly ? ["read"] : []),
      ...(command.stdin !== undefined ? [`stdin ${Buffer.byteLength(command.stdin)} bytes`] : []),
      ...(command.timeoutSec !== undefined ? [`timeout ${command.timeoutSec}s`] : []),
    ];
    this.verbose(
      1,
      `[${host}] $ ${shellJoin(command.argv)}${extras.length > 0 ? `  (${extras.join(", ")})` : ""}`,
    );
  }

  received(host: string, _command: Command, result: CommandResult, durationMs: number): void {
    const lines = [`[${host}] exit ${result.code ?? "killed"} in ${Math.round(durationMs)} ms`];
    if (result.stdout !== "") lines.push(indent("stdout", result.stdout));
    if (result.stderr !== "") lines.push(indent("stderr", result.stderr));
    this.verbose(2, lines.join("\n"));
  }

  failed(host: string, _command: Command, error: unknown): void {
    this.verbose(1, `[${host}] failed: ${errorMessage(error)}`);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
  }

  private verbose(level: number, text: string): void {
    const line = this.redact(text);
    if (this.verbosity >= level) this.stderr(`${line}\n`);
    if (this.fd !== undefined && this.fileVerbosity >= level) this.write(line);
  }

  private write(text: string): void {
    if (this.fd === undefined) return;
    const stamp = new Date().toISOString();
    writeSync(this.fd, `${stamp} ${this.redact(text).split("\n").join(`\n${stamp} `)}\n`);
  }
}

function indent(label: string, text: string): string {
  const body = text.endsWith("\n") ? text.slice(0, -1) : text;
  return `  ${label}:\n${body
    .split("\n")
    .map((l) => `    | ${l}`)
    .join("\n")}`;
}

/**
 * Opens the log for appending. Non-blocking, and only a regular file: opening
 * a FIFO for writing waits for a reader (the run would hang before it starts),
 * a device would swallow or refuse the lines.
 */
function openLogFile(file: string): number {
  let fd: number;
  try {
    fd = openSync(
      file,
      constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NONBLOCK | constants.O_NOCTTY,
      0o600,
    );
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // ENXIO: a FIFO nobody reads (O_NONBLOCK makes open fail instead of wait).
    const why =
      code === "ENXIO" ? "a named pipe (FIFO) or device, expected a regular file" : errorMessage(error);
    throw new UsageError(`--log-file ${file}: ${why}`);
  }
  if (!fstatSync(fd).isFile()) {
    closeSync(fd);
    throw new UsageError(`--log-file ${file}: not a regular file`);
  }
  return fd;
}
