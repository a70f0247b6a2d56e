// Executes one planned change on a host. Files are installed atomically:
// written to a temp file beside the target, validated there, the old file
// backed up, then renamed over the target. Script text is constant; every
// value (paths, modes, validate argv) travels as a positional parameter.
import type { Transport } from "../transport/types.js";
import { clipMiddle } from "../util/clip.js";
import type { Change, FileChange } from "./types.js";

export class ApplyError extends Error {
  override readonly name = "ApplyError";
}

const INSTALL_FILE_SCRIPT = [
  "path=$1; mode=$2; backup=$3; shift 3",
  'dir=$(dirname -- "$path")',
  'mkdir -p -- "$dir" || exit 10',
  'tmp=$(mktemp "$dir/.lvsplay.XXXXXX") || exit 11',
  "trap 'rm -f -- \"$tmp\"' EXIT",
  'cat > "$tmp" || exit 12',
  'chmod "$mode" "$tmp" || exit 13',
  // Validation argv follows; "{}" stands for the temp file.
  'if [ "$#" -gt 0 ]; then',
  '  for a in "$@"; do if [ "$a" = "{}" ]; then set -- "$@" "$tmp"; else set -- "$@" "$a"; fi; shift; done',
  '  out=$("$@" 2>&1); rc=$?',
  '  if [ "$rc" -ne 0 ]; then printf "validation failed (exit %s): %s\\n" "$rc" "$out" >&2; exit 20; fi',
  "fi",
  'if [ "$backup" = 1 ] && [ -e "$path" ]; then cp -p -- "$path" "$path.lvsplay-bak" || exit 14; fi',
  'mv -f -- "$tmp" "$path" || exit 15',
  "trap - EXIT",
].join("\n");

function fileCommand(change: FileChange) {
  return {
    argv: [
      "sh",
      "-c",
      INSTALL_FILE_SCRIPT,
      "lvsplay-install",
      change.path,
      change.mode,
      change.backup ? "1" : "0",
      ...(change.validate ?? []),
    ],
    stdin: change.after,
    become: true,
    timeoutSec: 60,
  };
}

/** Applies one change; throws ApplyError with the remote error text on failure. */
export async function applyChange(transport: Transport, change: Change): Promise<void> {
  const command = change.kind === "file" ? fileCommand(change) : change.command;
  const result = await transport.run(command);
  if (result.code !== 0) {
    const detail = clipMiddle(result.stderr.trim() || result.stdout.trim(), 2000);
    const status = result.code === null ? "killed (timeout or signal)" : `exit ${result.code}`;
    throw new ApplyError(`${change.summary}: ${status}${detail ? `: ${detail}` : ""}`);
  }
}
