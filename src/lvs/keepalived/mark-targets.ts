// Which destinations the mangle rules lvsplay does not own mark, per mark: a
// hand-made `virtual_server fwmark 3` serves the VIP its rule `-d VIP … --set-xmark 0x3`
// marks (the seed article's layout).
import { optionValue, splitRule } from "../marks/tokens.js";

/** `foreignMarkRules` lines ("table: -A …") → mark → destination addresses (no prefix length). */
export function foreignMarkTargets(rules: readonly string[]): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const entry of rules) {
    const rule = entry.replace(/^\w+: /, "");
    let argv: string[];
    try {
      argv = splitRule(rule);
    } catch {
      continue;
    }
    const value = optionValue(argv, "--set-xmark") ?? optionValue(argv, "--set-mark") ?? "";
    const mark = Number(value.split("/")[0]);
    const dest = optionValue(argv, "-d") ?? optionValue(argv, "--destination");
    if (dest === undefined || !Number.isFinite(mark) || mark <= 0) continue;
    const addresses = dest.split(",").map((d) => d.split("/")[0]!);
    out.set(mark, [...(out.get(mark) ?? []), ...addresses]);
  }
  return out;
}
