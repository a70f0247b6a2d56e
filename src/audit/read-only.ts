// Defence in depth for `lvsplay audit`: check mode already plans without
// applying, and on top of that every transport the audit uses refuses any
// command that is not a fact read. An audit can therefore never install,
// write or reload anything, whatever an operation's plan says.
import type { Command, CommandResult, Connector, Transport } from "../transport/types.js";

export class ReadOnlyViolation extends Error {
  override readonly name = "ReadOnlyViolation";
}

export function readOnlyTransport(inner: Transport): Transport {
  return {
    hostName: inner.hostName,
    run: async (command: Command): Promise<CommandResult> => {
      if (!command.readOnly)
        throw new ReadOnlyViolation(
          `audit is read-only: refused to run ${command.argv.slice(0, 3).join(" ")} …`,
        );
      return inner.run(command);
    },
    close: () => inner.close(),
  };
}

export function readOnlyConnector(inner: Connector): Connector {
  return {
    connect: async (host) => readOnlyTransport(await inner.connect(host)),
    ...(inner.connectionStats ? { connectionStats: (host: string) => inner.connectionStats?.(host) } : {}),
  };
}
