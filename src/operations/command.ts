// `command`: run an argv. Idempotent only with a guard: `unless` (skip when the
// probe exits 0) or `creates` (skip when the path exists). Without a guard it
// always reports a change, in check mode too — check mode has no blind spots.
//
// A guard is not a fact. `unless` runs the playbook author's argv, which may
// change the host, so check mode and audits never run it: they report the
// command as a pending change that "would run unless …" (the honest answer is
// "maybe"). `creates` is a stat of the path (facts/path-exists.ts), provably
// read-only, so it is read in every mode. README, "Playbooks".
import { z } from "zod";
import { ARGV_WORD, REMOTE_PATH } from "../config/charsets.js";
import { inCharset } from "../config/validators.js";
import { cause } from "../engine/cause.js";
import { factRequest, type Operation, type Plan, unchanged } from "../engine/types.js";
import { commandStatusFact } from "../facts/command-status.js";
import { pathExistsFact } from "../facts/path-exists.js";

const CommandArgs = z.strictObject({
  argv: z.array(inCharset(ARGV_WORD)).min(1, "a non-empty argv list"),
  unless: z.array(inCharset(ARGV_WORD)).min(1).optional(),
  creates: inCharset(REMOTE_PATH).optional(),
  become: z.boolean().default(true),
  timeout: z.number().int().positive().default(120),
});
export type CommandArgs = z.infer<typeof CommandArgs>;

const shown = (argv: readonly string[]): string => argv.join(" ");

export const commandOperation: Operation<CommandArgs> = {
  name: "command",
  description: "run a command (argv list), guarded by `unless` or `creates` for idempotency",
  argsSchema: CommandArgs,
  parseArgs: (raw) => CommandArgs.parse(raw),
  facts: ({ args, check }) => [
    // Never in check mode or an audit: the guard could change the host.
    ...(args.unless && !check ? [factRequest(commandStatusFact, ...args.unless)] : []),
    ...(args.creates ? [factRequest(pathExistsFact, args.creates)] : []),
  ],
  plan: ({ args, facts, check }): Plan => {
    if (args.creates && facts.get(factRequest(pathExistsFact, args.creates))) {
      return unchanged(`${args.creates} exists`);
    }
    const command = { argv: args.argv, become: args.become, timeoutSec: args.timeout };
    if (args.unless && check) {
      const condition = `unless \`${shown(args.unless)}\` succeeds`;
      return {
        changes: [
          {
            kind: "command",
            cause: cause("command"),
            summary: `would run ${shown(args.argv)} ${condition}`,
            command,
          },
        ],
        notes: [
          `the guard was not run: check mode and audits never run \`unless\` commands (they could change the host)`,
        ],
      };
    }
    if (args.unless && facts.get(factRequest(commandStatusFact, ...args.unless)).code === 0) {
      return unchanged(`guard \`${shown(args.unless)}\` succeeded`);
    }
    return {
      changes: [{ kind: "command", cause: cause("command"), summary: `run ${shown(args.argv)}`, command }],
    };
  },
};
