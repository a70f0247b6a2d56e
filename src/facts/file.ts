// File content + mode, read in one command. A missing file is a value (null), not an error.
import type { Fact } from "../engine/types.js";

export interface FileFact {
  readonly exists: boolean;
  /** Octal mode as printed by stat, e.g. "644"; null when missing. */
  readonly mode: string | null;
  readonly content: string | null;
}

// A symlink is reported, not followed: installing over it would silently replace the link.
const READ_FILE =
  'if [ -L "$1" ]; then echo SYMLINK; elif [ -f "$1" ]; then stat -c %a -- "$1" && cat -- "$1"; ' +
  'elif [ -e "$1" ]; then echo NOTAFILE; else echo MISSING; fi';

export const fileFact: Fact<FileFact> = {
  name: "file",
  command: ([path]) => ({ argv: ["sh", "-c", READ_FILE, "lvsplay-fact", path ?? ""] }),
  parse: (result, [path]) => {
    const nl = result.stdout.indexOf("\n");
    const head = nl < 0 ? result.stdout : result.stdout.slice(0, nl);
    if (head === "MISSING") return { exists: false, mode: null, content: null };
    if (head === "NOTAFILE") throw new Error(`${path} exists but is not a regular file`);
    if (head === "SYMLINK") {
      throw new Error(`${path} is a symlink: lvsplay manages regular files only (point it at the target)`);
    }
    if (result.code !== 0 || !/^[0-7]{3,4}$/.test(head)) {
      throw new Error(`cannot read ${path}: ${result.stderr.trim() || `exit ${result.code}`}`);
    }
    return { exists: true, mode: head, content: result.stdout.slice(nl + 1) };
  },
};

/** Compares "0644" with stat's "644". */
export const sameMode = (want: string, have: string | null): boolean =>
  have !== null && Number.parseInt(want, 8) === Number.parseInt(have, 8);
