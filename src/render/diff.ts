// Human-readable before/after for --diff: unified diffs for files, +/- lines otherwise.
import { createTwoFilesPatch } from "diff";
import type { Change } from "../engine/types.js";
import { redactSecrets } from "./redact.js";

export function describeChange(change: Change): string[] {
  if (change.kind === "file") {
    const before = redactSecrets(change.before ?? "");
    const after = redactSecrets(change.after);
    const patch = createTwoFilesPatch(
      change.before === null ? "/dev/null" : `${change.path} (before)`,
      `${change.path} (after)`,
      before,
      after,
      "",
      "",
      { context: 3 },
    );
    // Drop the "=====" banner line createTwoFilesPatch prints first.
    const lines = patch.split("\n").filter((line, i) => !(i === 0 && line.startsWith("====")) && line !== "");
    if (before === after && change.before !== change.after) lines.push("(a secret value changed; not shown)");
    return lines;
  }
  if (change.before === undefined && change.after === undefined)
    return change.equivalent === undefined
      ? [`$ ${change.command.argv.join(" ")}`]
      : [`$ ${change.equivalent.join(" ")}  (as D-Bus calls with busctl)`];
  const lines: string[] = [];
  for (const l of (change.before ?? "").split("\n")) if (l) lines.push(`- ${l}`);
  for (const l of (change.after ?? "").split("\n")) if (l) lines.push(`+ ${l}`);
  return lines;
}
