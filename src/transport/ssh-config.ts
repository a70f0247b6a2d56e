// OpenSSH client configuration (ssh_config(5)): which files are read, their
// Include lines, and the parsed configuration for one host. Parsing is the
// `ssh-config` package's; this module adds the default files and Include (which
// may depend on the host), and caches what a fleet would otherwise redo per host.
// What the configuration says for one host, typed: ssh-config-host.ts.
import { readdirSync, statSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";
import SSHConfig, { glob } from "ssh-config";
import { UserError } from "../errors.js";
import { FILE_LIMITS, FileReadError, readRegularFile } from "../util/read-regular-file.js";

/** Which configuration a run reads: OpenSSH's defaults, one file (`-F`), or none (`-F none`). */
export type SshConfigChoice =
  | { readonly kind: "default" }
  | { readonly kind: "file"; readonly file: string }
  | { readonly kind: "none" };

export const USER_SSH_CONFIG = "~/.ssh/config";
export const SYSTEM_SSH_CONFIG = "/etc/ssh/ssh_config";

/** The files read (for messages) and their text, ready for per-host lookups. */
export interface LoadedSshConfig {
  /** Every file read, includes too, in reading order. */
  readonly files: readonly string[];
  /** Top-level files, in order (the first value found for a setting wins across all of them). */
  readonly roots: readonly string[];
  readonly texts: ReadonlyMap<string, string>;
  /** Parsed configurations by expanded text (most hosts expand to the same text). */
  readonly parsed: Map<string, SSHConfig>;
  /** Include patterns resolved so far (files do not change during a run). */
  readonly globs?: Map<string, string[]>;
  /** The expanded text when no Include sits inside a Host/Match section (then it is the same for every host). */
  shared?: string;
  /** Whether some Include sits inside a Host/Match section (decided on first use). */
  sectionIncludes?: boolean;
}

export class SshConfigError extends UserError {
  override readonly name = "SshConfigError";
  constructor(message: string) {
    super("invalid-input", message);
  }
}

const MAX_INCLUDE_DEPTH = 16;

export const expandHome = (file: string): string =>
  file === "~" ? homedir() : file.startsWith("~/") ? path.join(homedir(), file.slice(2)) : file;

/** Reads the configuration chosen, includes too. A named file must exist; the default files may be missing. */
export function loadSshConfig(choice: SshConfigChoice): LoadedSshConfig {
  const loaded = {
    files: [] as string[],
    roots: [] as string[],
    texts: new Map<string, string>(),
    parsed: new Map(),
    globs: new Map<string, string[]>(),
  };
  if (choice.kind === "none") return loaded;
  const root = (file: string, required: boolean) => {
    const absolute = expandHome(file);
    try {
      readTree(absolute, loaded, 0);
      loaded.roots.push(absolute);
    } catch (error) {
      if (error instanceof SshConfigError) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      if (!required && code === "ENOENT") return;
      const why = error instanceof FileReadError ? error.message : (code ?? String(error));
      throw new SshConfigError(`cannot read ssh_config ${absolute}: ${why}`);
    }
  };
  // Like ssh: -F replaces both files; otherwise the user's file, then the system's.
  if (choice.kind === "file") root(choice.file, true);
  else {
    root(USER_SSH_CONFIG, false);
    root(SYSTEM_SSH_CONFIG, false);
  }
  return loaded;
}

/** Reads a file and, recursively, every file its Include lines name. */
function readTree(
  file: string,
  loaded: { files: string[]; texts: Map<string, string>; globs: Map<string, string[]> },
  depth: number,
): void {
  if (depth > MAX_INCLUDE_DEPTH) throw new SshConfigError(`ssh_config ${file}: Include nested too deeply`);
  if (loaded.texts.has(file)) return;
  const text = readRegularFile(file, FILE_LIMITS.sshConfig).toString("utf8");
  loaded.files.push(file);
  loaded.texts.set(file, text);
  for (const line of text.split("\n")) {
    const include = directive(line);
    if (include?.name !== "include") continue;
    for (const pattern of splitArgs(include.value)) {
      for (const included of globFiles(pattern, loaded.globs)) {
        try {
          readTree(included, loaded, depth + 1);
        } catch (error) {
          if (error instanceof SshConfigError) throw error;
          throw new SshConfigError(
            `cannot read ssh_config ${included} (Include in ${file}): ${String(error)}`,
          );
        }
      }
    }
  }
}

function directive(line: string): { name: string; value: string } | undefined {
  const m = /^\s*([A-Za-z]+)\s*(?:=\s*|\s)\s*(.*?)\s*$/.exec(line);
  return m?.[1] === undefined ? undefined : { name: m[1].toLowerCase(), value: m[2] ?? "" };
}

/**
 * The configuration text for one lookup, Include lines replaced by the files
 * they name (sorted, like glob(3); relative names are relative to ~/.ssh, as
 * ssh does for user files). An Include inside a Host section whose patterns do
 * not match `alias` includes nothing, like ssh; inside a matching section it is
 * followed by that section's line again: ssh restores the section's state after
 * the included file, whose own Host lines would otherwise swallow the rest.
 */
function expandFor(file: string, alias: string, loaded: LoadedSshConfig, depth: number): string {
  let section: string | undefined;
  let sectionActive = true;
  const out: string[] = [];
  for (const line of (loaded.texts.get(file) ?? "").split("\n")) {
    const d = directive(line);
    if (d?.name === "host") {
      section = line;
      sectionActive = glob(splitArgs(d.value), alias);
    } else if (d?.name === "match") {
      // Match criteria are evaluated by the parser, not here: its includes are kept.
      section = line;
      sectionActive = true;
    }
    if (d?.name !== "include") {
      out.push(line);
      continue;
    }
    if (!sectionActive || depth > MAX_INCLUDE_DEPTH) continue;
    for (const pattern of splitArgs(d.value)) {
      for (const included of globFiles(pattern, loaded.globs)) {
        out.push(expandFor(included, alias, loaded, depth + 1));
        if (section !== undefined) out.push(section);
      }
    }
  }
  return out.join("\n");
}

/** True when some Include is inside a Host or Match section: then what it adds depends on the host. */
function hasSectionIncludes(loaded: LoadedSshConfig): boolean {
  for (const text of loaded.texts.values()) {
    let inSection = false;
    for (const line of text.split("\n")) {
      const name = directive(line)?.name;
      if (name === "host" || name === "match") inSection = true;
      else if (name === "include" && inSection) return true;
    }
  }
  return false;
}

/** The parsed configuration for `alias`, its Include lines expanded (cached). */
export function parsedFor(loaded: LoadedSshConfig, alias: string): SSHConfig {
  // Per host only when it can differ: a fleet's inventory asks once per host.
  let text = loaded.shared;
  if (text === undefined) {
    text = loaded.roots.map((root) => expandFor(root, alias, loaded, 0)).join("\n");
    loaded.sectionIncludes ??= hasSectionIncludes(loaded);
    if (!loaded.sectionIncludes) loaded.shared = text;
  }
  let config = loaded.parsed.get(text);
  if (!config) {
    config = SSHConfig.parse(text);
    loaded.parsed.set(text, config);
  }
  return config;
}

/** Arguments separated by spaces, double quotes keep spaces. */
export function splitArgs(text: string): string[] {
  return [...text.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? "");
}

/** Files matching an Include pattern (wildcards in the last component), sorted; none is fine. */
function globFiles(pattern: string, memo?: Map<string, string[]>): string[] {
  const known = memo?.get(pattern);
  if (known) return known;
  const found = globFilesNow(pattern);
  memo?.set(pattern, found);
  return found;
}

function globFilesNow(pattern: string): string[] {
  const expanded = expandHome(pattern);
  const absolute = path.isAbsolute(expanded) ? expanded : path.join(homedir(), ".ssh", expanded);
  const dir = path.dirname(absolute);
  const base = path.basename(absolute);
  if (!/[*?[]/.test(base)) return isFile(absolute) ? [absolute] : [];
  const re = new RegExp(
    `^${base
      .replace(/[.+^${}()|\\]/g, "\\$&")
      .replaceAll("*", "[^/]*")
      .replaceAll("?", "[^/]")}$`,
  );
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => re.test(n) && !n.startsWith("."))
    .sort()
    .map((n) => path.join(dir, n))
    .filter(isFile);
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
