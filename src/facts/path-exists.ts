// Whether a path exists, by stat alone: `[ -e ]` / `[ -L ]` never open the
// path, so a FIFO, a device or a huge file is answered at once and nothing on
// the host changes — the `creates` guard of a `command` task is this fact, and
// it is the one guard check mode and audits may read (README, "Playbooks").
import type { Fact } from "../engine/types.js";

const EXISTS = 'if [ -e "$1" ] || [ -L "$1" ]; then echo yes; else echo no; fi';

export const pathExistsFact: Fact<boolean> = {
  name: "path.exists",
  command: ([path]) => ({ argv: ["sh", "-c", EXISTS, "lvsplay-fact", path ?? ""] }),
  parse: (result, [path]) => {
    const answer = result.stdout.trim();
    if (answer !== "yes" && answer !== "no")
      throw new Error(`cannot tell whether ${path} exists: ${result.stderr.trim() || `exit ${result.code}`}`);
    return answer === "yes";
  },
};
