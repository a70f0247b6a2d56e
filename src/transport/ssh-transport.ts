// One live SSH connection to one host. Commands share it through a bounded
// number of channels; a dropped connection turns every pending and future run
// into an UnreachableError instead of crashing the process.
import { PassThrough } from "node:stream";
import type { NodeSSH, SSHExecCommandOptions, SSHExecCommandResponse } from "node-ssh";
import type { Channel, ClientChannel } from "ssh2";
import type { BecomeSettings } from "../inventory/model.js";
import { Semaphore } from "../util/semaphore.js";
import { collectOutput, timedOutRemotely } from "./output.js";
import { shellJoin } from "./quote.js";
import { type Command, type CommandResult, type Held, type Transport, UnreachableError } from "./types.js";
import { backstopSec, noteTimeout, type TimedOut, type WrappedCommand, wrapCommand } from "./wrap-command.js";

/** Retries (20, 40, 80, 160, 320 ms apart) when sshd refuses to open a channel. */
const CHANNEL_OPEN_RETRIES = 5;

function isChannelOpenFailure(error: unknown): boolean {
  return error instanceof Error && /Channel open failure/i.test(error.message);
}

export interface SshTransportOptions {
  readonly hostName: string;
  /** `user@address:port`, for messages. */
  readonly target: string;
  readonly loginUser: string;
  readonly become: BecomeSettings;
  readonly maxChannels: number;
  readonly defaultTimeoutSec?: number;
  /** Multiplies every command's time limit (inventory `timeout_scale`). */
  readonly timeoutScale?: number;
  /** Called once when the connection is gone (closed or dropped). */
  readonly onGone?: () => void;
}

export class SshTransport implements Transport {
  readonly hostName: string;
  private readonly channels: Semaphore;
  private failure: Error | undefined;
  private readonly failed: Promise<never>;
  private markFailed!: (error: Error) => void;
  private readonly closed: Promise<void>;
  /** Users of this connection: the engine's handle(s) plus hosts tunnelled through it. */
  private refs = 0;
  /** The ssh2 client, kept because node-ssh forgets it on dispose (its socket has the byte counts). */
  readonly client: unknown;

  constructor(
    private readonly ssh: NodeSSH,
    private readonly options: SshTransportOptions,
  ) {
    this.hostName = options.hostName;
    this.channels = new Semaphore(options.maxChannels);
    this.failed = new Promise<never>((_, reject) => {
      this.markFailed = reject;
    });
    this.failed.catch(() => {}); // only ever observed through Promise.race
    const connection = ssh.connection;
    if (!connection) throw new UnreachableError(`${this.describe()}: not connected`);
    this.client = connection;
    // node-ssh removes its own 'error' listener once connected; without ours an
    // error on a dropped connection would be an uncaught exception.
    let lastError: Error | undefined;
    connection.setMaxListeners(options.maxChannels + 10);
    connection.on("error", (error: Error) => {
      lastError = error;
    });
    this.closed = new Promise((resolve) => {
      const gone = () => {
        const reason = lastError ? lastError.message : "connection closed by the remote side";
        this.fail(new UnreachableError(`${this.describe()}: connection lost: ${reason}`));
        resolve();
      };
      connection.once("end", gone);
      connection.once("close", gone);
    });
  }

  /** False once the connection was closed or dropped. */
  get alive(): boolean {
    return this.failure === undefined;
  }

  async run(command: Command): Promise<CommandResult> {
    if (this.failure) throw this.failure;
    const wrapped = wrapCommand(command, {
      become: this.options.become,
      runsAsRoot: this.options.loginUser === "root",
      ...(this.options.defaultTimeoutSec !== undefined
        ? { defaultTimeoutSec: this.options.defaultTimeoutSec }
        : {}),
      ...(this.options.timeoutScale !== undefined ? { timeoutScale: this.options.timeoutScale } : {}),
    });
    return this.channels.with(() => this.exec(command, wrapped));
  }

  private async exec(command: Command, wrapped: WrappedCommand): Promise<CommandResult> {
    if (this.failure) throw this.failure;
    const output = collectOutput();
    let channel: ClientChannel | undefined;
    let backstopTimer: NodeJS.Timeout | undefined;
    const backstop = new Promise<"backstop">((resolve) => {
      if (wrapped.timeoutSec !== undefined) {
        backstopTimer = setTimeout(() => resolve("backstop"), backstopSec(wrapped.timeoutSec) * 1000);
      }
    });
    const started = performance.now();
    try {
      const execution = this.execCommand(shellJoin(wrapped.argv), {
        ...(wrapped.stdin !== undefined ? { stdin: wrapped.stdin } : {}),
        noTrim: true,
        onChannel: (c) => {
          channel = c;
        },
        onStdout: output.onStdout,
        onStderr: output.onStderr,
      });
      execution.catch(() => {}); // it may settle after the race was decided elsewhere
      const outcome = await Promise.race([execution, this.failed, backstop]);
      // A dropped connection closes its channels too: never report that as a command result.
      if (this.failure) throw this.failure;
      if (outcome === "backstop") {
        channel?.close();
        const how = "no answer from the host; channel closed, the command may still run";
        const partial = output.result();
        return {
          ...partial,
          stderr: noteTimeout(partial.stderr, this.timedOut(command, wrapped), how),
          code: null,
        };
      }
      const result = { ...output.result(), code: outcome.code };
      if (wrapped.timeoutSec !== undefined && timedOutRemotely(result.code, started, wrapped.timeoutSec)) {
        return {
          ...result,
          stderr: noteTimeout(result.stderr, this.timedOut(command, wrapped), "killed on the host"),
        };
      }
      return result;
    } catch (error) {
      if (this.failure) throw this.failure;
      throw new Error(`${this.describe()}: ${(error as Error).message}`, { cause: error });
    } finally {
      clearTimeout(backstopTimer);
    }
  }

  private timedOut(command: Command, wrapped: WrappedCommand): TimedOut {
    return {
      command,
      timeoutSec: wrapped.timeoutSec ?? 0,
      ...(this.options.timeoutScale !== undefined ? { scale: this.options.timeoutScale } : {}),
    };
  }

  /**
   * sshd frees a session slot only once it has processed our CLOSE, so a channel
   * opened just after another one closed can be refused although we stay under
   * MaxSessions. Nothing ran on a refused channel, so retrying is safe.
   */
  private async execCommand(
    command: string,
    options: SSHExecCommandOptions,
  ): Promise<SSHExecCommandResponse> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.ssh.execCommand(command, options);
      } catch (error) {
        if (this.failure || attempt >= CHANNEL_OPEN_RETRIES || !isChannelOpenFailure(error)) throw error;
        await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt));
      }
    }
  }

  async hold(command: Command, ready: string): Promise<Held> {
    if (this.failure) throw this.failure;
    const wrapped = wrapCommand(
      { ...command, timeoutSec: 0 },
      { become: this.options.become, runsAsRoot: this.options.loginUser === "root" },
    );
    // stdin stays open until release(): the remote command waits on it.
    const stdin = new PassThrough();
    if (wrapped.stdin !== undefined) stdin.write(wrapped.stdin);
    let output = "";
    let errors = "";
    let seen!: () => void;
    const isReady = new Promise<"ready">((resolve) => {
      seen = () => resolve("ready");
    });
    await this.channels.acquire();
    const execution = this.execCommand(shellJoin(wrapped.argv), {
      stdin,
      noTrim: true,
      onStdout: (chunk) => {
        output += chunk.toString("utf8");
        if (output.split("\n").includes(ready)) seen();
      },
      // Kept for when it ends first: why it could not start (sudo's refusal) is said there.
      onStderr: (chunk) => {
        if (errors.length < 4096) errors += chunk.toString("utf8");
      },
    }).finally(() => this.channels.release());
    execution.catch(() => {});
    const first = await Promise.race([isReady, execution, this.failed]);
    if (this.failure) throw this.failure;
    const running = first === "ready";
    return {
      output: running ? output.slice(0, output.indexOf(ready) + ready.length) : output,
      ...(running ? {} : { errors }),
      running,
      release: async () => {
        stdin.end();
        await Promise.race([
          execution.catch(() => undefined),
          new Promise((resolve) => setTimeout(resolve, 5000).unref()),
        ]);
      },
    };
  }

  /** Open a TCP tunnel from this host to another one (for jump hosts). */
  async forwardOut(address: string, port: number): Promise<Channel> {
    if (this.failure) throw this.failure;
    const forwarding = this.ssh.forwardOut("127.0.0.1", 0, address, port);
    forwarding.catch(() => {}); // may settle after the connection failed
    return Promise.race([forwarding, this.failed]);
  }

  /** Another user (a host tunnelled through this one) keeps the connection open. */
  retain(): void {
    this.refs += 1;
  }

  /** Release one user; the connection ends when nobody uses it any more. */
  async close(): Promise<void> {
    if (this.refs > 0) this.refs -= 1;
    if (this.refs === 0) await this.shutdown();
  }

  /** End the connection now, whoever still uses it. */
  async shutdown(): Promise<void> {
    this.fail(new UnreachableError(`${this.describe()}: transport closed`));
    this.ssh.dispose();
    // Don't hang on a peer that never answers the disconnect.
    await Promise.race([this.closed, new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.channels.fail(error);
    this.markFailed(error);
    this.options.onGone?.();
  }

  private describe(): string {
    return `host ${this.hostName} (${this.options.target})`;
  }
}
