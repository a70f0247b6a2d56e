// Human-readable difference between the live chain and the desired one.
import { diffArrays } from "diff";

/**
 * `- rule` for rules to remove, `+ rule` for rules to add, `  rule` for rules
 * that stay (so the reader sees where a change sits). Empty when equal.
 */
export function diffRules(live: readonly string[], desired: readonly string[]): string[] {
  if (live.length === desired.length && live.every((r, i) => r === desired[i])) return [];
  const out: string[] = [];
  for (const part of diffArrays([...live], [...desired])) {
    const prefix = part.added ? "+ " : part.removed ? "- " : "  ";
    for (const rule of part.value) out.push(prefix + rule);
  }
  return out;
}
