// The host's keepalived configuration as keepalived reads it: the main file,
// lvsplay's own file, and every file reached through `include` lines, with the
// matches of each include pattern. Globs are expanded on the host the way
// keepalived's glob(3) does (relative to the including file's folder; directories
// and executable files skipped); brace patterns go through bash only when they
// consist of plain path characters, so nothing in a config file is ever run.
// Contents travel base64-encoded: no file can forge another file's record.
import { posix } from "node:path";
import type { Fact } from "../engine/types.js";

export type ConfigFileState =
  | { readonly path: string; readonly state: "file"; readonly mode: string; readonly content: string }
  | { readonly path: string; readonly state: "missing" | "symlink" | "notafile" | "unreadable" };

export interface IncludeGlob {
  /** The file the include line is in. */
  readonly from: string;
  /** The pattern as the host's include line has it (comment and trailing blanks removed). */
  readonly pattern: string;
  /** Matching files in glob order; null when the pattern could not be expanded safely. */
  readonly matches: readonly string[] | null;
}

export interface KeepalivedConfigFact {
  readonly main: string;
  readonly own: string;
  readonly files: readonly ConfigFileState[];
  readonly globs: readonly IncludeGlob[];
  /** More files than lvsplay reads (MAX_FILES): the rest was not read. */
  readonly truncated: boolean;
  /** keepalived's version ("2.2.7"), when it is installed and says it: what a reload can change in place depends on it. */
  readonly version?: string;
}

export const MAX_FILES = 64;

// $1 main, $2 own. The main and own files are read without following a symlink
// (lvsplay would replace the link); included files are followed, as keepalived does.
const READ_CONFIG = `nl='
'
seen="$nl"; queue=''; count=0
emit() {
  count=$((count+1))
  printf 'F %s\\n' "$1"
  if [ "$2" = 0 ] && [ -L "$1" ]; then echo SYMLINK; return 1; fi
  if [ ! -e "$1" ]; then echo MISSING; return 1; fi
  if [ ! -f "$1" ]; then echo NOTAFILE; return 1; fi
  m=$(stat -L -c %a -- "$1" 2>/dev/null) || { echo UNREADABLE; return 1; }
  printf 'M %s\\n' "$m"
  base64 < "$1" 2>/dev/null || { echo UNREADABLE; return 1; }
  echo E
}
expand() {
  case $2 in /*) ;; *) cd -- "$1" 2>/dev/null || return 0 ;; esac
  case $2 in
    *'{'*)
      if printf '%s' "$2" | grep -q '^[][A-Za-z0-9/._*?,{}+@=:-]*$' && command -v bash >/dev/null 2>&1; then
        bash -c 'shopt -s nullglob; eval "set -- $1"; for f do printf "%s\\n" "$f"; done' lvsplay-glob "$2"
      else echo '?'; fi ;;
    *) IFS=''; for f in $2; do printf '%s\\n' "$f"; done ;;
  esac | while IFS= read -r f; do
    [ "$f" = '?' ] && { echo '?'; continue; }
    case $f in /*) ;; *) f="$1/$f" ;; esac
    [ -f "$f" ] && [ ! -x "$f" ] && printf '%s\\n' "$f"
  done
}
scan() {
  d=$(dirname -- "$1")
  pats=$(sed -n 's/^[[:space:]]*include[rmwba]\\{0,1\\}[[:space:]]\\{1,\\}//p' -- "$1" | sed 's/[#!].*$//; s/[[:space:]]*$//')
  [ -n "$pats" ] || return 0
  while IFS= read -r pat; do
    [ -n "$pat" ] || continue
    printf 'G %s\\t%s\\n' "$1" "$pat"
    matches=$(expand "$d" "$pat")
    [ -n "$matches" ] || continue
    while IFS= read -r f; do
      if [ "$f" = '?' ]; then echo U; continue; fi
      printf 'P %s\\n' "$f"
      case $seen in *"$nl$f$nl"*) ;; *) seen="$seen$f$nl"; queue="$queue$f$nl" ;; esac
    done <<LVSPLAY_EOF
$matches
LVSPLAY_EOF
  done <<LVSPLAY_EOF
$pats
LVSPLAY_EOF
}
seen="$seen$1$nl$2$nl"
emit "$1" 0 && scan "$1"
emit "$2" 0
while [ -n "$queue" ]; do
  f=\${queue%%"$nl"*}; queue=\${queue#*"$nl"}
  if [ "$count" -ge ${MAX_FILES} ]; then echo X; break; fi
  emit "$f" 1 && scan "$f"
done
# "Keepalived v2.2.7 (01/16,2022)", on stderr; nothing when it is not installed
# (/usr/sbin may be missing from a user's PATH), and nothing when the binary is
# newer than the running daemon: upgraded since it started, the version that
# runs is unknown.
for k in keepalived /usr/sbin/keepalived /sbin/keepalived; do
  command -v "$k" >/dev/null 2>&1 || continue
  v=$("$k" --version 2>&1 </dev/null | sed -n 's/^Keepalived v\\([0-9][0-9.]*\\).*$/\\1/p' | head -n 1)
  pid=$(pgrep -o -x keepalived 2>/dev/null)
  if [ -n "$v" ] && [ -n "$pid" ]; then
    newer=$(
      read -r st </proc/"$pid"/stat && read -r up _ </proc/uptime || exit 0
      set -- $st
      started=$(( $(date +%s) - \${up%.*} + \${22} / 100 ))
      built=$(stat -L -c %Y -- "$(command -v "$k")" 2>/dev/null) || exit 0
      [ "$built" -gt "$started" ] && echo yes
    ) 2>/dev/null
    [ "$newer" = yes ] && v=''
  fi
  [ -n "$v" ] && printf 'V %s\\n' "$v"
  break
done
exit 0
`;

function decodeBase64(lines: readonly string[]): string {
  return Buffer.from(lines.join(""), "base64").toString("utf8");
}

export function parseConfigFactOutput(stdout: string, main: string, own: string): KeepalivedConfigFact {
  const files: ConfigFileState[] = [];
  const globs: { from: string; pattern: string; matches: string[] | null }[] = [];
  let truncated = false;
  let version: string | undefined;
  const lines = stdout.split("\n");
  let i = 0;
  while (i < lines.length) {
    const line = lines[i++]!;
    if (line === "") continue;
    if (line === "X") {
      truncated = true;
      continue;
    }
    if (/^V \d+(\.\d+)*$/.test(line)) {
      version = line.slice(2);
      continue;
    }
    if (line.startsWith("F ")) {
      const path = posix.normalize(line.slice(2));
      const status = lines[i++] ?? "";
      if (status === "MISSING") files.push({ path, state: "missing" });
      else if (status === "SYMLINK") files.push({ path, state: "symlink" });
      else if (status === "NOTAFILE") files.push({ path, state: "notafile" });
      else if (status === "UNREADABLE") files.push({ path, state: "unreadable" });
      else if (status.startsWith("M ")) {
        const body: string[] = [];
        let end = "";
        while (i < lines.length) {
          const l = lines[i++]!;
          if (l === "E" || l === "UNREADABLE") {
            end = l;
            break;
          }
          body.push(l);
        }
        if (end === "E")
          files.push({ path, state: "file", mode: status.slice(2), content: decodeBase64(body) });
        else files.push({ path, state: "unreadable" });
      } else throw new Error(`unexpected output for ${path}: ${status}`);
      continue;
    }
    if (line.startsWith("G ")) {
      const tab = line.indexOf("\t");
      if (tab < 0) throw new Error(`unexpected include record: ${line}`);
      globs.push({ from: posix.normalize(line.slice(2, tab)), pattern: line.slice(tab + 1), matches: [] });
      continue;
    }
    const glob = globs.at(-1);
    if (line.startsWith("P ") && glob?.matches) glob.matches.push(posix.normalize(line.slice(2)));
    else if (line === "U" && glob) glob.matches = null;
    else throw new Error(`unexpected line: ${line.slice(0, 80)}`);
  }
  if (!files.some((f) => f.path === main)) throw new Error(`no record for ${main}`);
  // One file reached under two spellings (a/../b) is one file.
  const unique = files.filter((f, i) => files.findIndex((g) => g.path === f.path) === i);
  return { main, own, files: unique, globs, truncated, ...(version !== undefined ? { version } : {}) };
}

export const keepalivedConfigFact: Fact<KeepalivedConfigFact> = {
  name: "keepalived.config",
  command: ([main, own]) => ({ argv: ["sh", "-c", READ_CONFIG, "lvsplay-fact", main ?? "", own ?? ""] }),
  parse: (result, [main, own]) => {
    if (result.code !== 0 && result.stdout === "")
      throw new Error(result.stderr.trim() || `exit ${result.code}`);
    return parseConfigFactOutput(result.stdout, main ?? "", own ?? "");
  },
};

/** A file's content when it was read as a regular file. */
export const contentOf = (fact: KeepalivedConfigFact, path: string): string | undefined => {
  const f = fact.files.find((x) => x.path === path);
  return f?.state === "file" ? f.content : undefined;
};
