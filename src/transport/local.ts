// Runs commands on this machine with the same semantics as the SSH transport
// (argv without a shell, sudo wrapping, coreutils timeout, exact output).
import { spawn } from "node:child_process";
import type { BecomeSettings } from "../inventory/model.js";
import { collectOutput, timedOutRemotely } from "./output.js";
import type { Command, CommandResult, Connector, Transport } from "./types.js";
import { backstopSec, noteTimeout, wrapCommand } from "./wrap-command.js";

export interface LocalTransportOptions {
  readonly hostName?: string;
  readonly become?: BecomeSettings;
  readonly defaultTimeoutSec?: number;
  readonly env?: NodeJS.ProcessEnv;
}

export class LocalTransport implements Transport {
  readonly hostName: string;
  private closed = false;

  constructor(private readonly options: LocalTransportOptions = {}) {
    this.hostName = options.hostName ?? "localhost";
  }

  async run(command: Command): Promise<CommandResult> {
    if (this.closed) throw new Error(`local transport ${this.hostName} is closed`);
    const wrapped = wrapCommand(command, {
      become: this.options.become ?? { enabled: false },
      runsAsRoot: process.getuid?.() === 0,
      ...(this.options.defaultTimeoutSec !== undefined
        ? { defaultTimeoutSec: this.options.defaultTimeoutSec }
        : {}),
      ...(this.options.env !== undefined ? { env: this.options.env } : {}),
    });
    const [program, ...args] = wrapped.argv;
    const timedOut = { command, timeoutSec: wrapped.timeoutSec ?? 0 };
    const output = collectOutput();
    const started = performance.now();
    return new Promise((resolve) => {
      const child = spawn(program!, args, {
        stdio: ["pipe", "pipe", "pipe"],
        env: this.options.env ?? process.env,
      });
      let backstopHit = false;
      const backstop =
        wrapped.timeoutSec !== undefined
          ? setTimeout(() => {
              backstopHit = true;
              child.kill("SIGKILL");
            }, backstopSec(wrapped.timeoutSec) * 1000)
          : undefined;
      child.stdout.on("data", output.onStdout);
      child.stderr.on("data", output.onStderr);
      child.stdin.on("error", () => {}); // EPIPE when the command does not read its input
      child.stdin.end(wrapped.stdin ?? "");
      child.on("error", (error: NodeJS.ErrnoException) => {
        clearTimeout(backstop);
        // What a shell would report, so callers see the same thing as over SSH.
        const code = error.code === "ENOENT" ? 127 : 126;
        resolve({ stdout: "", stderr: `${program}: ${error.message}\n`, code });
      });
      child.on("close", (code, signal) => {
        clearTimeout(backstop);
        const result = { ...output.result(), code: signal === null ? code : null };
        if (backstopHit) {
          resolve({ ...result, stderr: noteTimeout(result.stderr, timedOut, "killed locally") });
        } else if (
          wrapped.timeoutSec !== undefined &&
          timedOutRemotely(result.code, started, wrapped.timeoutSec)
        ) {
          resolve({ ...result, stderr: noteTimeout(result.stderr, timedOut, "killed by timeout") });
        } else {
          resolve(result);
        }
      });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/** Hands out a LocalTransport for any host name (tests, lab setup). */
export class LocalConnector implements Connector {
  constructor(private readonly options: Omit<LocalTransportOptions, "hostName"> = {}) {}

  async connect(hostName: string): Promise<Transport> {
    return new LocalTransport({ ...this.options, hostName });
  }
}
