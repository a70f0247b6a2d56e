// `file`: ensure a file has exactly this content and mode.
import { z } from "zod";
import { ARGV_WORD, REMOTE_PATH } from "../config/charsets.js";
import { inCharset } from "../config/validators.js";
import { cause } from "../engine/cause.js";
import { factRequest, type Operation, unchanged } from "../engine/types.js";
import { fileFact, sameMode } from "../facts/file.js";

const FileArgs = z.strictObject({
  path: inCharset(REMOTE_PATH),
  content: z.string(),
  mode: z
    .string()
    .regex(/^0?[0-7]{3}$/, 'an octal mode string like "0644"')
    .default("0644"),
  validate: z.array(inCharset(ARGV_WORD)).min(1).optional(),
  backup: z.boolean().default(false),
});
export type FileArgs = z.infer<typeof FileArgs>;

export const fileOperation: Operation<FileArgs> = {
  name: "file",
  description: "ensure a file has the given content and mode (atomic install, optional validation)",
  argsSchema: FileArgs,
  parseArgs: (raw) => FileArgs.parse(raw),
  facts: ({ args }) => [factRequest(fileFact, args.path)],
  plan: ({ args, facts }) => {
    const current = facts.get(factRequest(fileFact, args.path));
    if (current.content === args.content && sameMode(args.mode, current.mode)) {
      return unchanged(`${args.path} is up to date`);
    }
    const what = current.exists ? (current.content === args.content ? "mode" : "content") : "new file";
    return {
      changes: [
        {
          kind: "file",
          cause: cause("file-content", args.path),
          summary: `write ${args.path} (${what})`,
          path: args.path,
          before: current.content,
          after: args.content,
          mode: args.mode,
          ...(args.validate ? { validate: args.validate } : {}),
          backup: args.backup,
        },
      ],
    };
  },
};
