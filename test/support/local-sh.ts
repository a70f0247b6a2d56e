// A tiny local Transport for unit tests: runs argv on this machine without a shell,
// recording every command so tests can assert what would have been sent.
import { spawnSync } from "node:child_process";
import type { Command, CommandResult, Transport } from "../../src/transport/types.js";

export class RecordingLocalTransport implements Transport {
  readonly sent: Command[] = [];
  constructor(readonly hostName = "local") {}

  async run(command: Command): Promise<CommandResult> {
    this.sent.push(command);
    const [cmd, ...args] = command.argv;
    const r = spawnSync(cmd!, args, { input: command.stdin ?? "", encoding: "utf8" });
    return { stdout: r.stdout ?? "", stderr: r.stderr ?? "", code: r.status };
  }

  async close(): Promise<void> {}
}
