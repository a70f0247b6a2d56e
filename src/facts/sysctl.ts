// Live sysctl values for the given keys (missing keys read as null).
import type { Fact } from "../engine/types.js";

const PROBE =
  'for k in "$@"; do v=$(sysctl -n -- "$k" 2>/dev/null) || v="<missing>"; printf "%s=%s\\n" "$k" "$v"; done';

export type SysctlFact = Readonly<Record<string, string | null>>;

export const sysctlFact: Fact<SysctlFact> = {
  name: "sysctl",
  command: (keys) => ({ argv: ["sh", "-c", PROBE, "lvsplay-fact", ...keys] }),
  parse: (r, keys) => {
    const values: Record<string, string | null> = {};
    for (const k of keys) values[k] = null;
    for (const line of r.stdout.split("\n")) {
      const eq = line.indexOf("=");
      if (eq < 0) continue;
      const key = line.slice(0, eq);
      const value = line.slice(eq + 1).trim();
      if (key in values) values[key] = value === "<missing>" ? null : value;
    }
    return values;
  },
};
