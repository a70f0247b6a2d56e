// Ansible's INI inventory format: `[group]`, `[group:vars]`, `[group:children]`
// sections; host lines `name key=value …` (shell-like quoting); values read as
// Python literals where they are ones (2222 → number, True → boolean), else as
// strings, as ansible-inventory does.
import {
  AnsibleInventoryError,
  addHost,
  expandHostPattern,
  groupOf,
  type InventorySource,
  type Vars,
} from "./source.js";

export function parseIni(text: string, file: string, source: InventorySource): void {
  let group = "ungrouped";
  let kind: "hosts" | "vars" | "children" = "hosts";
  text.split(/\r?\n/).forEach((raw, index) => {
    const where = `${file}:${index + 1}`;
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) return;
    const section = /^\[([^\]:]+)(?::(vars|children))?\]$/.exec(line);
    if (section) {
      group = section[1] ?? "";
      kind = (section[2] as "vars" | "children" | undefined) ?? "hosts";
      groupOf(source, group);
      return;
    }
    if (line.startsWith("[")) throw new AnsibleInventoryError(`${where}: cannot read section header ${line}`);
    const words = shellWords(line, where);
    if (kind === "children") {
      const child = words[0] ?? "";
      groupOf(source, child);
      groupOf(source, group).children.add(child);
      return;
    }
    if (kind === "vars") {
      const [key, value] = keyValue(line, where);
      groupOf(source, group).vars[key] = value;
      return;
    }
    const [pattern = "", ...pairs] = words;
    const vars: Vars = {};
    for (const pair of pairs) {
      const eq = pair.indexOf("=");
      if (eq <= 0)
        throw new AnsibleInventoryError(`${where}: expected key=value after the host name, got ${pair}`);
      vars[pair.slice(0, eq)] = pythonLiteral(pair.slice(eq + 1));
    }
    // `host:port` is Ansible's short form of ansible_port (not for IPv6 addresses).
    const hostPort = /^([^:]+):(\d+)$/.exec(pattern);
    const names = expandHostPattern(hostPort ? (hostPort[1] ?? "") : pattern);
    if (hostPort) vars["ansible_port"] = Number(hostPort[2]);
    for (const name of names) addHost(source, group, name, vars);
  });
}

function keyValue(line: string, where: string): [string, unknown] {
  const eq = line.indexOf("=");
  if (eq <= 0) throw new AnsibleInventoryError(`${where}: expected key=value, got ${line}`);
  const raw = line.slice(eq + 1).trim();
  const words = raw === "" ? [""] : shellWords(raw, where);
  return [line.slice(0, eq).trim(), pythonLiteral(words.join(" "))];
}

/** Splits like Python's shlex.split (quotes group, backslash escapes outside single quotes). */
export function shellWords(text: string, where: string): string[] {
  const words: string[] = [];
  let current: string | undefined;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] ?? "";
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === "\\" && quote === '"' && i + 1 < text.length)
        current = (current ?? "") + (text[++i] ?? "");
      else current = (current ?? "") + ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      current ??= "";
    } else if (ch === "\\" && i + 1 < text.length) {
      current = (current ?? "") + (text[++i] ?? "");
    } else if (/\s/.test(ch)) {
      if (current !== undefined) words.push(current);
      current = undefined;
    } else if (ch === "#" && current === undefined) {
      break; // a comment after the last word
    } else current = (current ?? "") + ch;
  }
  if (quote) throw new AnsibleInventoryError(`${where}: unterminated quote`);
  if (current !== undefined) words.push(current);
  return words;
}

/** What Python's ast.literal_eval makes of a value, for the literals inventories use; else the text. */
export function pythonLiteral(text: string): unknown {
  // Python 3 refuses leading zeros ("0012" stays a string), as Ansible shows.
  if (/^[+-]?(0|[1-9]\d*)$/.test(text)) return Number(text);
  if (/^[+-]?(\d+\.\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return Number(text);
  if (text === "True") return true;
  if (text === "False") return false;
  if (text === "None") return null;
  const quoted = /^(['"])(.*)\1$/s.exec(text);
  if (quoted) return quoted[2];
  if (/^[[{]/.test(text)) {
    try {
      return JSON.parse(
        text
          .replaceAll("'", '"')
          .replace(/\bTrue\b/g, "true")
          .replace(/\bFalse\b/g, "false")
          .replace(/\bNone\b/g, "null"),
      );
    } catch {
      return text;
    }
  }
  return text;
}
