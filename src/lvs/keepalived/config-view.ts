// The host's keepalived configuration seen from lvsplay: which statements are
// lvsplay's own (its file, or blocks an older lvsplay rendered into the main
// file), which are foreign, and which include lines point at lvsplay's file.
import { posix } from "node:path";
import type { KeepalivedConfigFact } from "../../facts/keepalived-config.js";
import { type ConfigContent, describeContent } from "./content.js";
import { type IncludeRef, type ParsedConfig, parseKeepalivedSyntax, type Statement } from "./syntax.js";

/** The first line of every keepalived.conf an lvsplay before split files rendered. */
export const LEGACY_MARKER = "# Managed by lvsplay";

export interface ConfigView {
  readonly parsed: ParsedConfig;
  /** Main-file statements an older lvsplay rendered when it owned the whole file. */
  readonly legacy: ReadonlySet<Statement>;
  /** Byte ranges of the main file that were lvsplay's comments in that layout. */
  readonly legacyComments: readonly { start: number; end: number }[];
  /** Everything else: the host's own configuration. */
  readonly foreign: ConfigContent;
  readonly foreignStatements: readonly Statement[];
}

const GLOB_MAGIC = /[*?[{]/;

/** fnmatch(3)-like match of a whole path (`*` and `?` stop at "/"; braces as alternatives). */
export function globMatches(pattern: string, path: string): boolean {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const end = pattern.indexOf("]", i + 2);
      if (end < 0) re += "\\[";
      else {
        const body = pattern
          .slice(i + 1, end)
          .replace(/^!/, "^")
          .replace(/\\/g, "\\\\");
        re += `[${body}]`;
        i = end;
      }
    } else if (c === "{") re += "(?:";
    else if (c === "}") re += ")";
    else if (c === ",") re += "|";
    else re += c.replace(/[.+^$()|\\/]/g, "\\$&");
  }
  try {
    return new RegExp(`^${re}$`).test(path);
  } catch {
    return false;
  }
}

/** The absolute pattern an include line means (relative patterns resolve against the including file's folder). */
export const absolutePattern = (ref: Pick<IncludeRef, "file" | "pattern">): string =>
  ref.pattern.startsWith("/") ? ref.pattern : posix.join(posix.dirname(ref.file), ref.pattern);

/** Does this include line (would) include `own`, now or once it exists? */
export function includesPath(ref: IncludeRef, own: string): boolean {
  if (ref.matches?.includes(own)) return true;
  const abs = absolutePattern(ref);
  return GLOB_MAGIC.test(abs) ? globMatches(abs, own) : posix.normalize(abs) === own;
}

export const hasGlobMagic = (pattern: string): boolean => GLOB_MAGIC.test(pattern);

function legacyOf(
  fact: KeepalivedConfigFact,
  parsed: ParsedConfig,
  instanceName: string,
): Pick<ConfigView, "legacy" | "legacyComments"> {
  const main = fact.files.find((f) => f.path === fact.main);
  const text = main?.state === "file" ? main.content : "";
  if (!text.startsWith(LEGACY_MARKER)) return { legacy: new Set(), legacyComments: [] };
  const lines = text.split("\n");
  const offsets: number[] = [];
  let o = 0;
  for (const l of lines) {
    offsets.push(o);
    o += l.length + 1;
  }
  const lineRange = (index: number) => ({
    start: offsets[index]!,
    end: Math.min(text.length, offsets[index]! + lines[index]!.length + 1),
  });
  const comments: { start: number; end: number }[] = [];
  // The header comment block at the top of the file.
  for (let i = 0; i < lines.length && lines[i]!.startsWith("#"); i++) comments.push(lineRange(i));
  const legacy = new Set<Statement>();
  for (const s of parsed.statements) {
    if (s.file !== fact.main || s.span === null) continue;
    const previous = s.line >= 2 ? lines[s.line - 2]! : "";
    if (s.keyword === "global_defs" || (s.keyword === "vrrp_instance" && s.args[0] === instanceName))
      legacy.add(s);
    else if (s.keyword === "virtual_server" && s.args[0] === "fwmark" && previous.startsWith("# service ")) {
      legacy.add(s);
      comments.push(lineRange(s.line - 2));
    }
  }
  return { legacy, legacyComments: comments };
}

/** Parses the fact's files (lvsplay's own file is not read as part of the host's configuration). */
export function viewConfig(fact: KeepalivedConfigFact, instanceName: string): ConfigView {
  const files = new Map<string, string>();
  for (const f of fact.files) if (f.state === "file") files.set(f.path, f.content);
  const parsed = parseKeepalivedSyntax({
    main: fact.main,
    files,
    resolve: (from, pattern) => fact.globs.find((g) => g.from === from && g.pattern === pattern)?.matches,
    opaque: (path) => path === fact.own,
  });
  const { legacy, legacyComments } = legacyOf(fact, parsed, instanceName);
  const foreignStatements = parsed.statements.filter((s) => !legacy.has(s));
  return { parsed, legacy, legacyComments, foreign: describeContent(foreignStatements), foreignStatements };
}

/** fwmarks the host's own keepalived configuration uses (lvsplay must not allocate them). */
export const foreignFwmarks = (view: ConfigView): number[] =>
  view.foreign.virtualServers.flatMap((v) => (v.key.kind === "fwmark" ? [v.key.mark] : []));
