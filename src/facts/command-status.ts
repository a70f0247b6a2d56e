// Exit status of a read-only probe command (used by `unless` guards and checks).
import type { Fact } from "../engine/types.js";

export interface CommandStatus {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export const commandStatusFact: Fact<CommandStatus> = {
  name: "command.status",
  command: (argv) => ({ argv }),
  parse: (result) => ({ code: result.code, stdout: result.stdout, stderr: result.stderr }),
  // The argv is the playbook author's: a script of theirs with a syntax error
  // must fail this guard, not the whole fact batch.
  opaque: true,
};
