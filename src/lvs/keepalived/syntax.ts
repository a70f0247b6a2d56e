// A small, tolerant reader of keepalived's configuration syntax: enough to see
// which VRRP instances, virtual servers and global settings a host's own
// (foreign) configuration has, and where each block sits in its file, so that
// lvsplay can leave every other byte alone. Modelled on keepalived's lib/parser.c:
// comments start at an unquoted `#` or `!`; `{` and `}` split a line wherever
// they are; `include PATTERN` (and includer/m/w/b/a) splices files in place, a
// relative pattern resolving against the including file's folder; `$NAME=value`
// defines a parameter. Constructs it cannot follow (multi-line definitions,
// ~SEQ/~LST) are reported as problems, never silently dropped. Pure: files and
// include matches are handed in (see facts/keepalived-config.ts).

/** Whole lines of a file, as byte offsets into its text: [start, end). */
export interface Span {
  readonly file: string;
  readonly start: number;
  readonly end: number;
}

export interface Statement {
  readonly keyword: string;
  readonly args: readonly string[];
  /** The statements inside `{ … }`; null when the statement is not a block. */
  readonly children: readonly Statement[] | null;
  readonly file: string;
  /** 1-based line of the keyword. */
  readonly line: number;
  /** The lines this statement occupies when it shares them with no other statement (else null). */
  readonly span: Span | null;
  /** Behind an `@config_id` prefix: only the keepalived whose config id matches reads it. */
  readonly conditional: boolean;
}

export interface IncludeRef {
  readonly file: string;
  readonly line: number;
  /** The pattern as written (comment and trailing blanks removed). */
  readonly pattern: string;
  /** The include line itself. */
  readonly span: Span;
  /** Files it matched (absolute, glob order); null when the pattern could not be followed. */
  readonly matches: readonly string[] | null;
  /** The include sits inside a block (not at the top level of its file). */
  readonly nested: boolean;
}

export interface SyntaxProblem {
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

export interface ParsedConfig {
  /** Top-level statements, included files spliced in where they were included. */
  readonly statements: readonly Statement[];
  readonly includes: readonly IncludeRef[];
  readonly problems: readonly SyntaxProblem[];
}

export interface ParseInput {
  readonly main: string;
  /** File contents by absolute path; a path missing here was not readable. */
  readonly files: ReadonlyMap<string, string>;
  /** Matches of an include pattern written in `from`; null: not followed (e.g. unsupported braces). */
  readonly resolve: (from: string, pattern: string) => readonly string[] | null | undefined;
  /** Files whose content is not parsed where they are included (lvsplay's own file). */
  readonly opaque?: (path: string) => boolean;
}

interface Token {
  readonly text: string;
  readonly kind: "word" | "open" | "close";
  readonly file: string;
  readonly line: number;
  readonly lineStart: number;
  readonly lineEnd: number;
  /** Index of the physical line this token came from, unique across files. */
  readonly lineId: number;
  readonly conditional: boolean;
}

const MAX_INCLUDE_DEPTH = 8;

/** keepalived's decomment(): cut at the first unquoted `#`/`!`; `\#` and `\!` stand for the character. */
export function decomment(line: string): string {
  let out = "";
  let quote = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '"') quote = !quote;
    else if (c === "\\" && !quote && (line[i + 1] === "#" || line[i + 1] === "!")) {
      out += line[i + 1];
      i++;
      continue;
    } else if (!quote && (c === "#" || c === "!")) break;
    out += c;
  }
  return out.trim();
}

/** `include`, `includer`, `includem`, `includew`, `includeb`, `includea` followed by blanks. */
const INCLUDE_LINE = /^include[rmwba]?[ \t]+(.*)$/;

/** Words (quotes group and are removed) and braces of one decommented line. */
export function splitWords(text: string): { text: string; kind: Token["kind"] }[] {
  const out: { text: string; kind: Token["kind"] }[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === " " || c === "\t") {
      i++;
    } else if (c === "{" || c === "}") {
      out.push({ text: c, kind: c === "{" ? "open" : "close" });
      i++;
    } else if (c === '"') {
      const end = text.indexOf('"', i + 1);
      const stop = end < 0 ? text.length : end;
      out.push({ text: text.slice(i + 1, stop), kind: "word" });
      i = stop + 1;
    } else {
      let j = i;
      while (j < text.length && !" \t{}".includes(text[j]!)) j++;
      out.push({ text: text.slice(i, j), kind: "word" });
      i = j;
    }
  }
  return out;
}

class Tokenizer {
  readonly tokens: Token[] = [];
  readonly includes: IncludeRef[] = [];
  readonly problems: SyntaxProblem[] = [];
  private readonly defs = new Map<string, string>();
  private lineId = 0;
  private depth = 0;

  constructor(private readonly input: ParseInput) {}

  file(path: string, stack: readonly string[]): void {
    const text = this.input.files.get(path);
    if (text === undefined) return;
    let offset = 0;
    const lines = text.split("\n");
    lines.forEach((raw, index) => {
      const lineStart = offset;
      offset += raw.length + (index < lines.length - 1 ? 1 : 0);
      const at = { file: path, line: index + 1, lineStart, lineEnd: offset, lineId: this.lineId++ };
      this.line(raw.replace(/\r$/, ""), at, stack);
    });
  }

  private problem(at: { file: string; line: number }, message: string): void {
    this.problems.push({ file: at.file, line: at.line, message });
  }

  private line(
    raw: string,
    at: Omit<Token, "text" | "kind" | "conditional">,
    stack: readonly string[],
  ): void {
    let text = decomment(raw);
    if (text === "") return;
    if (text.startsWith("$")) {
      const def = /^\$([A-Za-z_][A-Za-z0-9_]*)[ \t]*=(.*)$/.exec(text);
      if (def) {
        if (def[2]!.trim().endsWith("\\"))
          this.problem(at, `multi-line definition $${def[1]} is not followed by lvsplay`);
        this.defs.set(def[1]!, def[2]!.trim());
        return;
      }
    }
    if (this.defs.size > 0)
      text = text.replace(
        /\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
        (m, a: string | undefined, b: string | undefined) => this.defs.get(a ?? b ?? "") ?? m,
      );
    let conditional = false;
    const cond = /^@\^?\S+[ \t]+(.*)$/.exec(text);
    if (text.startsWith("@")) {
      if (!cond) return;
      conditional = true;
      text = cond[1]!;
    }
    if (text.startsWith("~SEQ") || text.startsWith("~LST")) {
      // Read the repeated text once (its braces keep the structure); its values are not expanded.
      this.problem(at, `${text.slice(0, 4)} is not followed by lvsplay`);
      const close = text.indexOf(")");
      text = close < 0 ? "" : text.slice(close + 1).trim();
      if (text === "") return;
    }
    const include = INCLUDE_LINE.exec(text);
    if (include) {
      this.include(include[1]!.trim(), at, stack);
      return;
    }
    for (const w of splitWords(text)) {
      if (w.kind === "open") this.depth++;
      if (w.kind === "close") this.depth = Math.max(0, this.depth - 1);
      this.tokens.push({ ...w, ...at, conditional });
    }
  }

  private include(
    pattern: string,
    at: Omit<Token, "text" | "kind" | "conditional">,
    stack: readonly string[],
  ) {
    const matches = this.input.resolve(at.file, pattern) ?? null;
    this.includes.push({
      file: at.file,
      line: at.line,
      pattern,
      span: { file: at.file, start: at.lineStart, end: at.lineEnd },
      matches,
      nested: this.depth > 0,
    });
    if (matches === null) {
      this.problem(at, `include ${pattern} could not be followed`);
      return;
    }
    for (const path of matches) {
      if (this.input.opaque?.(path)) continue;
      if (stack.includes(path)) this.problem(at, `include ${pattern} includes ${path} again (a loop)`);
      else if (stack.length >= MAX_INCLUDE_DEPTH)
        this.problem(at, `includes nested deeper than ${MAX_INCLUDE_DEPTH}`);
      else if (!this.input.files.has(path)) this.problem(at, `included file ${path} could not be read`);
      else this.file(path, [...stack, path]);
    }
  }
}

/** Builds statements from tokens; `close` ends the block being read. */
function statements(tokens: readonly Token[], problems: SyntaxProblem[]): Statement[] {
  let i = 0;
  const firstOnLine = (t: Token, idx: number) => idx === 0 || tokens[idx - 1]!.lineId !== t.lineId;
  const lastOnLine = (t: Token, idx: number) =>
    idx === tokens.length - 1 || tokens[idx + 1]!.lineId !== t.lineId;

  const block = (depth: number): Statement[] => {
    const out: Statement[] = [];
    while (i < tokens.length) {
      const start = i;
      const first = tokens[i]!;
      if (first.kind === "close") {
        i++;
        if (depth > 0) return out;
        problems.push({ file: first.file, line: first.line, message: "extra '}'" });
        continue;
      }
      const words: string[] = [];
      while (i < tokens.length && tokens[i]!.kind === "word" && tokens[i]!.lineId === first.lineId)
        words.push(tokens[i++]!.text);
      let children: Statement[] | null = null;
      if (i < tokens.length && tokens[i]!.kind === "open") {
        const open = tokens[i]!;
        i++;
        const closedBefore = i;
        children = block(depth + 1);
        const closed = i > closedBefore && tokens[i - 1]?.kind === "close";
        if (!closed) problems.push({ file: open.file, line: open.line, message: "'{' is never closed" });
      }
      const lastIdx = i - 1;
      const last = tokens[lastIdx]!;
      const owns =
        first.file === last.file &&
        firstOnLine(first, start) &&
        lastOnLine(last, lastIdx) &&
        lastIdx >= start;
      out.push({
        keyword: words[0] ?? "",
        args: words.slice(1),
        children,
        file: first.file,
        line: first.line,
        span: owns ? { file: first.file, start: first.lineStart, end: last.lineEnd } : null,
        conditional: first.conditional,
      });
    }
    return out;
  };
  return block(0);
}

export function parseKeepalivedSyntax(input: ParseInput): ParsedConfig {
  const t = new Tokenizer(input);
  t.file(input.main, [input.main]);
  const problems = [...t.problems];
  const stmts = statements(t.tokens, problems);
  return { statements: stmts, includes: t.includes, problems };
}

/** The statements under `s` with this keyword (direct children only). */
export const childrenNamed = (s: Statement, keyword: string): Statement[] =>
  (s.children ?? []).filter((c) => c.keyword === keyword);

/** First argument of the first direct child with this keyword. */
export const childValue = (s: Statement, keyword: string): string | undefined =>
  childrenNamed(s, keyword)[0]?.args[0];

/** Every statement in the tree, depth first. */
export function* walk(stmts: readonly Statement[]): Generator<Statement> {
  for (const s of stmts) {
    yield s;
    if (s.children) yield* walk(s.children);
  }
}
