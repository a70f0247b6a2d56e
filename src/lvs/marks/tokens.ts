// Splitting rule text into argv and back.
// iptables-save quotes comment strings with double quotes (escaping `"` and `\`
// with a backslash); firewall-cmd --get-all-rules quotes like Python's shlex.quote
// (single quotes, `'!'`). One tokenizer reads both.

/** Split a rule line into argv, honouring '…', "…" and backslash escapes. */
export function splitRule(line: string): string[] {
  const out: string[] = [];
  let cur = "";
  let inToken = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote === "'") {
      if (c === "'") quote = null;
      else cur += c;
      continue;
    }
    if (quote === '"') {
      if (c === "\\" && i + 1 < line.length) cur += line[++i];
      else if (c === '"') quote = null;
      else cur += c;
      continue;
    }
    if (c === " " || c === "\t") {
      if (inToken) out.push(cur);
      cur = "";
      inToken = false;
      continue;
    }
    inToken = true;
    if (c === "'" || c === '"') quote = c;
    else if (c === "\\" && i + 1 < line.length) cur += line[++i];
    else cur += c;
  }
  if (quote !== null) throw new Error(`unterminated quote in rule: ${line}`);
  if (inToken) out.push(cur);
  return out;
}

/** The double-quoted form iptables-save prints for a comment. */
export const iptablesQuote = (s: string): string => `"${s.replace(/["\\]/g, (m) => `\\${m}`)}"`;

/** Value following `flag` in argv (first occurrence), if any. */
export function optionValue(argv: readonly string[], flag: string): string | undefined {
  const i = argv.indexOf(flag);
  return i >= 0 ? argv[i + 1] : undefined;
}
