// The files a director's failover hooks run, and every folder above them, as
// keepalived's enable_script_security judges them (keepalived/core/notify.c):
// the real path, then owner, group, mode and type of each component from "/"
// down. Read-only: stat and readlink only.
import { posix } from "node:path";
import type { Fact } from "../engine/types.js";

export interface PathComponent {
  readonly path: string;
  readonly uid: number;
  readonly gid: number;
  /** Permission bits with setuid/setgid/sticky (stat %a, octal). */
  readonly mode: number;
  readonly type: "file" | "directory" | "symlink" | "other";
}

export interface ScriptFile {
  readonly path: string;
  /** After following symlinks; null when the file does not exist. */
  readonly realPath: string | null;
  /** From "/" to the file itself. */
  readonly components: readonly PathComponent[];
  /** Executable (by root: any x bit). */
  readonly executable: boolean;
}

export type ScriptFilesFact = Readonly<Record<string, ScriptFile>>;

const SCRIPT = `for p do
  printf 'S %s\\n' "$p"
  r=$(readlink -e -- "$p") || { echo R; continue; }
  printf 'R %s\\n' "$r"
  d=$r
  while :; do
    stat -c 'C %u %g %a %F|%n' -- "$d" 2>/dev/null
    [ "$d" = / ] && break
    d=$(dirname -- "$d")
  done
  if [ -x "$r" ]; then echo X1; else echo X0; fi
done`;

const typeOf = (f: string): PathComponent["type"] =>
  f === "regular file" || f === "regular empty file"
    ? "file"
    : f === "directory"
      ? "directory"
      : f === "symbolic link"
        ? "symlink"
        : "other";

export function parseScriptFiles(stdout: string): ScriptFilesFact {
  const out: Record<string, ScriptFile> = {};
  let cur:
    | { path: string; realPath: string | null; components: PathComponent[]; executable: boolean }
    | undefined;
  for (const line of stdout.split("\n")) {
    if (line.startsWith("S ")) {
      cur = { path: line.slice(2), realPath: null, components: [], executable: false };
      out[cur.path] = cur;
    } else if (!cur || line === "") continue;
    else if (line === "R") cur.realPath = null;
    else if (line.startsWith("R ")) cur.realPath = line.slice(2);
    else if (line === "X1" || line === "X0") cur.executable = line === "X1";
    else if (line.startsWith("C ")) {
      const m = /^C (\d+) (\d+) ([0-7]+) ([^|]+)\|(.*)$/.exec(line);
      if (!m) throw new Error(`unexpected stat line: ${line}`);
      cur.components.unshift({
        path: posix.normalize(m[5]!),
        uid: Number(m[1]),
        gid: Number(m[2]),
        mode: Number.parseInt(m[3]!, 8),
        type: typeOf(m[4]!),
      });
    } else throw new Error(`unexpected line: ${line.slice(0, 80)}`);
  }
  return out;
}

export const scriptFilesFact: Fact<ScriptFilesFact> = {
  name: "script.files",
  command: (paths) => ({ argv: ["sh", "-c", SCRIPT, "lvsplay-fact", ...paths] }),
  parse: (r) => parseScriptFiles(r.stdout),
};

/**
 * Why keepalived (enable_script_security) would refuse to run the file, or
 * undefined: every component must be root's, and no directory without the
 * sticky bit, nor the file, may be writable by a non-root group or by others.
 */
export function scriptInsecurity(f: ScriptFile): string | undefined {
  if (f.realPath === null) return "does not exist";
  const file = f.components.at(-1);
  if (file?.type !== "file") return "is not a regular file";
  if (!f.executable) return "is not executable";
  for (const c of f.components) {
    if (c.uid !== 0) return `${c.path} belongs to uid ${c.uid}, not root`;
    const sticky = c.type === "directory" && (c.mode & 0o1000) !== 0;
    if (sticky) continue;
    if (c.gid !== 0 && (c.mode & 0o020) !== 0) return `${c.path} is writable by group ${c.gid}`;
    if ((c.mode & 0o002) !== 0) return `${c.path} is writable by everyone`;
  }
  return undefined;
}
