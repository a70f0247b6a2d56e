// The seam between the engine and a host. The engine never builds shell strings
// itself: every remote command is an argv array, quoted by transport/quote.ts.

/** A remote command. `argv[0]` is the program; nothing in argv is interpreted by a shell. */
export interface Command {
  readonly argv: readonly string[];
  /** Bytes written to the command's stdin (file contents, passwords are never put in argv). */
  readonly stdin?: string;
  /** Seconds before the remote side kills the command (coreutils `timeout`). */
  readonly timeoutSec?: number;
  /** Run through the host's privilege escalation (sudo) when the host has `become` enabled. */
  readonly become?: boolean;
  /** Only reads (fact batches): the one kind of command `lvsplay audit` lets through. */
  readonly readOnly?: boolean;
  /** How messages (a time-out) name the command; default: its argv, a script shown as `sh -c …`. */
  readonly what?: string;
}

export interface CommandResult {
  readonly stdout: string;
  readonly stderr: string;
  /** Exit status; null when the command was killed by a signal or the channel closed. */
  readonly code: number | null;
}

/** Raised when the host cannot be reached or the connection dropped: the host is `unreachable`. */
export class UnreachableError extends Error {
  override readonly name = "UnreachableError";
}

/** A command kept running (e.g. holding a lock) until released or the connection ends. */
export interface Held {
  /** Its output up to (and including) the line it was waited for, or all of it when it ended first. */
  readonly output: string;
  /** False when the command ended before printing that line (it holds nothing). */
  readonly running: boolean;
  /** Its stderr, when it ended before printing that line (why it could not start). */
  readonly errors?: string;
  /** Closes its stdin (it should then end) and waits, bounded, for it to end. */
  release(): Promise<void>;
}

/** One open connection to one host, reused for every stage of a run. */
export interface Transport {
  readonly hostName: string;
  run(command: Command): Promise<CommandResult>;
  /**
   * Starts a command that keeps running on this connection (no time limit)
   * and resolves once its stdout has a line equal to `ready`. It dies with
   * the connection: what it holds is never left behind by a lost controller.
   */
  hold?(command: Command, ready: string): Promise<Held>;
  close(): Promise<void>;
}

/** Opens transports; the engine gets one per host per run. */
export interface Connector {
  connect(hostName: string): Promise<Transport>;
  /** Connections opened to the host and bytes on its socket so far, where known. */
  connectionStats?(
    hostName: string,
  ): { connections: number; bytesSent: number; bytesReceived: number } | undefined;
}
