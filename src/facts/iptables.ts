// The live mangle table as iptables-save prints it (parsed by lvs/marks/parse.ts).
import type { Fact } from "../engine/types.js";

export interface IptablesFact {
  /** `iptables-save -t mangle` output; "" when iptables is not installed. */
  readonly mangle: string;
  readonly installed: boolean;
}

const PROBE =
  "if command -v iptables-save >/dev/null 2>&1; then echo installed; iptables-save -t mangle; else echo missing; fi";

export const iptablesFact: Fact<IptablesFact> = {
  name: "iptables",
  command: () => ({ argv: ["sh", "-c", PROBE] }),
  parse: (r) => {
    const nl = r.stdout.indexOf("\n");
    const head = r.stdout.slice(0, nl < 0 ? undefined : nl);
    if (head === "missing") return { mangle: "", installed: false };
    if (r.code !== 0) throw new Error(r.stderr.trim() || `iptables-save exited ${r.code}`);
    return { mangle: r.stdout.slice(nl + 1), installed: true };
  },
};
