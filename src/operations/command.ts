// `command`: run an argv. Idempotent only with a guard: `unless` (skip when the
// probe exits 0) or `creates` (skip when the path exists). Without a guard it
// always reports a change, in check mode too — check mode has no blind spots.
import { z } from "zod";
import { ARGV_WORD, REMOTE_PATH } from "../config/charsets.js";
import { inCharset } from "../config/validators.js";
import { cause } from "../engine/cause.js";
import { factRequest, type Operation, type Plan, unchanged } from "../engine/types.js";
import { commandStatusFact } from "../facts/command-status.js";
import { fileFact } from "../facts/file.js";

const CommandArgs = z.strictObject({
  argv: z.array(inCharset(ARGV_WORD)).min(1, "a non-empty argv list"),
  unless: z.array(inCharset(ARGV_WORD)).min(1).optional(),
  creates: inCharset(REMOTE_PATH).optional(),
  become: z.boolean().default(true),
  timeout: z.number().int().positive().default(120),
});
export type CommandArgs = z.infer<typeof CommandArgs>;

export const commandOperation: Operation<CommandArgs> = {
  name: "command",
  description: "run a command (argv list), guarded by `unless` or `creates` for idempotency",
  parseArgs: (raw) => CommandArgs.parse(raw),
  facts: ({ args }) => [
    ...(args.unless ? [factRequest(commandStatusFact, ...args.unless)] : []),
    ...(args.creates ? [factRequest(fileFact, args.creates)] : []),
  ],
  plan: ({ args, facts }): Plan => {
    if (args.unless && facts.get(factRequest(commandStatusFact, ...args.unless)).code === 0) {
      return unchanged(`guard \`${args.unless.join(" ")}\` succeeded`);
    }
    if (args.creates && facts.get(factRequest(fileFact, args.creates)).exists) {
      return unchanged(`${args.creates} exists`);
    }
    return {
      changes: [
        {
          kind: "command",
          cause: cause("command"),
          summary: `run ${args.argv.join(" ")}`,
          command: { argv: args.argv, become: args.become, timeoutSec: args.timeout },
        },
      ],
    };
  },
};
