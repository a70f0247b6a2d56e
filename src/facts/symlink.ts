// Where a symlink points (null when the path is not a symlink or does not exist).
import type { Fact } from "../engine/types.js";

const READ_LINK = 'if [ -L "$1" ]; then printf "link:"; readlink -- "$1"; else echo none; fi';

export const symlinkFact: Fact<string | null> = {
  name: "symlink",
  command: ([path]) => ({ argv: ["sh", "-c", READ_LINK, "lvsplay-fact", path ?? ""] }),
  parse: (r) => (r.stdout.startsWith("link:") ? r.stdout.slice(5).replace(/\n$/, "") : null),
};
