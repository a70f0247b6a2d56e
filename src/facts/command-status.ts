// Exit status of a playbook's `unless` guard. The argv is the author's and may
// change the host: it is read in apply mode only, never by check mode or an
// audit (operations/command.ts).
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
  // Read only by its task, when it runs: never read ahead by an earlier stage
  // (it may depend on what that stage changes) nor taken from the run's cache.
  volatile: true,
};
