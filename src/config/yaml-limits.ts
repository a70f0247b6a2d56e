// Limits that keep hostile YAML from exhausting time or memory, each checked
// in linear time and reported as a positioned problem (README, "Limits"):
//   - input size (checked by the reader and again by the parser),
//   - nesting depth, on the CST before anything recursive runs (the composer
//     and toJS recurse: thousands of levels overflow the stack),
//   - duplicate keys, one Set per mapping (yaml's own `uniqueKeys` compares
//     every pair of keys: 25k keys took seconds, 100k minutes),
//   - alias expansion ("billion laughs"), counted on the document before toJS
//     copies anything; an alias inside the node it names is refused too (the
//     data would be circular).
import { type CST, type Document, isAlias, isMap, isScalar, isSeq } from "yaml";

/** Largest inventory or playbook file read (bytes). */
export const MAX_INPUT_BYTES = 4 * 1024 * 1024;
/** Deepest nesting of mappings and lists. */
export const MAX_NESTING = 64;
/** Nodes that aliases may add to the data, all aliases together. */
export const MAX_ALIAS_NODES = 100_000;

export interface OffsetProblem {
  readonly offset: number;
  readonly message: string;
}

const mib = (bytes: number): string => `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;

export const sizeProblem = (bytes: number): string =>
  `file is ${mib(bytes)}; the limit is ${mib(MAX_INPUT_BYTES)} (README, "Limits")`;

export interface CstScan {
  /** The first place where collections nest deeper than MAX_NESTING. */
  readonly tooDeep?: OffsetProblem;
  /** Whether the text has any alias (only then is alias expansion counted). */
  readonly hasAliases: boolean;
}

/** One walk over the CST, without recursion: nesting depth and whether aliases occur. */
export function scanCst(tokens: readonly CST.Token[]): CstScan {
  let hasAliases = false;
  const stack: { token: CST.Token | null | undefined; depth: number }[] = tokens.map((token) => ({
    token,
    depth: 0,
  }));
  while (stack.length > 0) {
    const { token, depth } = stack.pop()!;
    if (!token) continue;
    if (token.type === "alias") hasAliases = true;
    if (token.type === "document") {
      stack.push({ token: token.value, depth });
      continue;
    }
    if (token.type !== "block-map" && token.type !== "block-seq" && token.type !== "flow-collection")
      continue;
    if (depth + 1 > MAX_NESTING)
      return {
        hasAliases,
        tooDeep: {
          offset: token.offset,
          message: `nesting deeper than ${MAX_NESTING} levels (mappings and lists inside each other)`,
        },
      };
    for (const item of token.items as CST.CollectionItem[]) {
      if (item.key) stack.push({ token: item.key, depth: depth + 1 });
      if (item.value) stack.push({ token: item.value, depth: depth + 1 });
    }
  }
  return { hasAliases };
}

const offsetOf = (node: { range?: readonly number[] | null } | null | undefined): number =>
  node?.range?.[0] ?? 0;

/** Children of a collection node in document order (map keys and values, list items). */
function children(node: unknown): unknown[] {
  if (isMap(node)) {
    const out: unknown[] = [];
    for (const pair of node.items) out.push(pair.key, pair.value);
    return out;
  }
  if (isSeq(node)) return node.items;
  return [];
}

/** Every key that repeats a key of the same mapping, at the repeated key. */
export function duplicateKeyProblems(doc: Document.Parsed): OffsetProblem[] {
  const problems: OffsetProblem[] = [];
  const stack: unknown[] = [doc.contents];
  while (stack.length > 0) {
    const node = stack.pop();
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        stack.push(pair.key, pair.value);
        // Only scalar keys can be compared cheaply; the schemas accept no other kind.
        if (!isScalar(pair.key)) continue;
        const key = String(pair.key.value);
        if (seen.has(key))
          problems.push({
            offset: offsetOf(pair.key),
            message: `duplicate key ${JSON.stringify(key)} (each key may appear only once in a mapping)`,
          });
        seen.add(key);
      }
    } else if (isSeq(node)) for (const item of node.items) stack.push(item);
  }
  return problems.sort((a, b) => a.offset - b.offset);
}

/**
 * Sizes every anchored node (nodes it expands to, aliases included), in
 * document order, iteratively: an alias adds its anchor's size. Stops at the
 * first alias that pushes the total past MAX_ALIAS_NODES or points into itself.
 */
export function aliasProblem(doc: Document.Parsed): OffsetProblem | undefined {
  const sizes = new Map<string, number>();
  const open = new Set<string>();
  let added = 0;
  // Post-order walk: "enter" pushes the children, "leave" sums them up.
  const stack: { node: unknown; leave: boolean }[] = [{ node: doc.contents, leave: false }];
  const totals: number[] = [];
  while (stack.length > 0) {
    const { node, leave } = stack.pop()!;
    const anchor = (node as { anchor?: string } | null)?.anchor;
    if (leave) {
      const kids = children(node).length;
      let size = 1;
      for (let i = 0; i < kids; i++) size += totals.pop() ?? 0;
      if (anchor) {
        open.delete(anchor);
        sizes.set(anchor, size);
      }
      totals.push(size);
      continue;
    }
    if (isAlias(node)) {
      if (open.has(node.source))
        return {
          offset: offsetOf(node),
          message: `alias *${node.source} refers to a node that contains it (circular data)`,
        };
      const size = sizes.get(node.source) ?? 1;
      added += size;
      if (added > MAX_ALIAS_NODES)
        return {
          offset: offsetOf(node),
          message: `aliases expand to more than ${MAX_ALIAS_NODES} values (an alias bomb?)`,
        };
      totals.push(size);
      continue;
    }
    if (anchor) open.add(anchor);
    stack.push({ node, leave: true });
    // Reversed, so children are entered (and anchors defined) in document order.
    const kids = children(node);
    for (let i = kids.length - 1; i >= 0; i--) stack.push({ node: kids[i], leave: false });
  }
  return undefined;
}
