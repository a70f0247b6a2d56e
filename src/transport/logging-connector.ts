// -v / -vv and --log-file: every command sent to a host (and with -vv what came
// back) reported to a log before and after it runs. A decorator, like the
// audit's read-only guard: the transports themselves know nothing of it.
import type { Command, CommandResult, Connector, Held, Transport } from "./types.js";

export interface CommandLog {
  sent(host: string, command: Command): void;
  received(host: string, command: Command, result: CommandResult, durationMs: number): void;
  failed(host: string, command: Command, error: unknown): void;
}

export function loggingTransport(inner: Transport, log: CommandLog): Transport {
  // Long-running holds (the cluster lock) are logged when started.
  const hold = inner.hold?.bind(inner);
  return {
    hostName: inner.hostName,
    run: async (command: Command): Promise<CommandResult> => {
      log.sent(inner.hostName, command);
      const started = performance.now();
      try {
        const result = await inner.run(command);
        log.received(inner.hostName, command, result, performance.now() - started);
        return result;
      } catch (error) {
        log.failed(inner.hostName, command, error);
        throw error;
      }
    },
    ...(hold
      ? {
          hold: async (command: Command, ready: string): Promise<Held> => {
            log.sent(inner.hostName, command);
            return hold(command, ready);
          },
        }
      : {}),
    close: () => inner.close(),
  };
}

export function loggingConnector(inner: Connector, log: CommandLog): Connector {
  return {
    connect: async (host) => loggingTransport(await inner.connect(host), log),
    ...(inner.connectionStats ? { connectionStats: (host: string) => inner.connectionStats?.(host) } : {}),
  };
}
