// YAML parsing that keeps source positions, so schema and rule errors found on
// the plain data can be traced back to `line:col` in the file.
import { type Document, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import type { Problem } from "./problem.js";

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

export const parseYaml = (text: string, file: string): ParsedYaml => {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  const source: YamlSource = { file, text, doc, lineCounter };
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((err): Problem => {
      const offset = err.pos[0];
      const { line, col } = lineCounter.linePos(offset);
      return { file, line, col, path: "", message: yamlErrorMessage(err.code, err.message, text, offset) };
    });
    return { source, data: undefined, problems };
  }
  return { source, data: doc.toJS({ maxAliasCount: 1000 }), problems: [] };
};

const yamlErrorMessage = (code: string, message: string, text: string, offset: number): string => {
  if (code === "DUPLICATE_KEY") {
    const key = /^[^:\n]*/.exec(text.slice(offset))?.[0].trim() ?? "";
    return `duplicate key ${JSON.stringify(key)} (each key may appear only once in a mapping)`;
  }
  // prettyErrors appends " at line L, column C:" and a code frame; the position is already in front.
  const firstLine = message.split("\n")[0] ?? message;
  return `YAML syntax error: ${firstLine.replace(/ at line \d+, column \d+:?$/, "")}`;
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
