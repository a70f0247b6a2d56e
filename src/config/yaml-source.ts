// YAML parsing that keeps source positions, so schema and rule errors found on
// the plain data can be traced back to `line:col` in the file.
import {
  Composer,
  type CST,
  type Document,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  Parser,
} from "yaml";
import type { Problem } from "./problem.js";
import {
  aliasProblem,
  duplicateKeyProblems,
  MAX_INPUT_BYTES,
  type OffsetProblem,
  scanCst,
  sizeProblem,
} from "./yaml-limits.js";

/** A path into the parsed data, as zod reports it: map keys and sequence indexes. */
export type KeyPath = readonly PropertyKey[];

export interface YamlSource {
  readonly file: string;
  readonly text: string;
  readonly doc: Document.Parsed;
  readonly lineCounter: LineCounter;
}

export interface ParsedYaml {
  readonly source: YamlSource;
  /** Plain data; undefined when the YAML itself has errors (partial data would mislead the schema). */
  readonly data: unknown;
  readonly problems: readonly Problem[];
}

export interface LinePos {
  readonly line: number;
  readonly col: number;
}

/**
 * Parses one YAML document. Hostile input (too big, too deep, duplicate keys,
 * alias bombs) becomes positioned problems, in linear time (yaml-limits.ts).
 */
export const parseYaml = (text: string, file: string): ParsedYaml => {
  const lineCounter = new LineCounter();
  const at = (p: OffsetProblem): Problem => ({
    file,
    ...lineCounter.linePos(p.offset),
    path: "",
    message: p.message,
  });
  const bytes = Buffer.byteLength(text, "utf8");
  const tokens: CST.Token[] =
    bytes > MAX_INPUT_BYTES ? [] : [...new Parser(lineCounter.addNewLine).parse(text)];
  const { tooDeep, hasAliases } = scanCst(tokens);
  // `uniqueKeys: false`: yaml's own check is quadratic; duplicateKeyProblems is not.
  const docs = tooDeep ? [] : [...new Composer({ uniqueKeys: false }).compose(tokens, true, text.length)];
  const doc = docs[0] ?? new Composer().compose([], true, 0).next().value!;
  const source: YamlSource = { file, text, doc, lineCounter };
  const fail = (problems: Problem[]): ParsedYaml => ({ source, data: undefined, problems });
  if (bytes > MAX_INPUT_BYTES)
    return fail([{ file, line: 1, col: 1, path: "", message: sizeProblem(bytes) }]);
  if (tooDeep) return fail([at(tooDeep)]);
  const errors = [...doc.errors];
  const extra = docs[1];
  if (extra)
    return fail([
      at({ offset: extra.range[0], message: 'a second YAML document ("---"): put everything in one' }),
    ]);
  if (errors.length > 0)
    return fail(
      errors.map((err) => at({ offset: err.pos[0], message: yamlErrorMessage(err.code, err.message) })),
    );
  const duplicates = duplicateKeyProblems(doc);
  if (duplicates.length > 0) return fail(duplicates.map(at));
  const bomb = hasAliases ? aliasProblem(doc) : undefined;
  if (bomb) return fail([at(bomb)]);
  return { source, data: doc.toJS({ maxAliasCount: -1 }), problems: [] };
};

const yamlErrorMessage = (code: string, message: string): string => {
  // Positions are in front already; yaml may add " at line L, column C:" and a code frame.
  const firstLine = message.split("\n")[0] ?? message;
  const text = firstLine.replace(/ at line \d+, column \d+:?$/, "");
  if (code === "RESOURCE_EXHAUSTION") return `YAML too complex to read: ${text}`;
  return `YAML syntax error: ${text}`;
};

const posOf = (source: YamlSource, node: Node | null | undefined): LinePos | undefined => {
  const offset = node?.range?.[0];
  return offset === undefined ? undefined : source.lineCounter.linePos(offset);
};

const isEmptyScalar = (node: unknown): boolean => isScalar(node) && node.value === null && node.source === "";

/**
 * Position of the thing at `path`: a scalar's value, or the key that
 * introduces a map or list. `target: "key"` points at the key itself (unknown
 * keys); a path that does not exist (missing key) points at the key that owns
 * the deepest existing map, or the start of the document.
 */
export const positionAt = (source: YamlSource, path: KeyPath, target: "value" | "key" = "value"): LinePos => {
  const start: LinePos = { line: 1, col: 1 };
  let node: unknown = source.doc.contents;
  // Where the current node is introduced: its key in the parent map, else its own start.
  let here: LinePos = posOf(source, node as Node) ?? start;
  for (const [i, segment] of path.entries()) {
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
      if (!pair) return here;
      const keyPos = posOf(source, pair.key as Node) ?? here;
      if (last && target === "key") return keyPos;
      if (pair.value === null || isEmptyScalar(pair.value)) return keyPos;
      node = pair.value;
      // A scalar is shown at its value; a map or list at the key that introduces it.
      here = last && !isMap(node) && !isSeq(node) ? (posOf(source, node as Node) ?? keyPos) : keyPos;
    } else if (isSeq(node) && typeof segment === "number") {
      const item = node.items[segment];
      if (item === undefined) return here;
      node = item;
      here = posOf(source, item as Node) ?? here;
    } else {
      return here;
    }
  }
  return here;
};

export const problemAt = (
  source: YamlSource,
  path: KeyPath,
  displayPath: string,
  message: string,
  target: "value" | "key" = "value",
): Problem => {
  const { line, col } = positionAt(source, path, target);
  return { file: source.file, line, col, path: displayPath, message };
};
