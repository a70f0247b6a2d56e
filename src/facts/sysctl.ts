// Live sysctl values for the given keys (missing keys read as null).
import type { Fact } from "../engine/types.js";

// One grep reads every key's /proc/sys file ("PATH:VALUE" lines; a missing key
// has no line): `sysctl -n` per key cost ten process starts on every host of
// every run. (The shell's `read` is no way out: it reads byte by byte, and
// /proc/sys answers a read at a non-zero offset with end of file.)
const PROBE = 'exec grep -H -s . "$@"';

/** sysctl key → /proc/sys path: dots are separators, a slash stands for a dot in a name (eth0/100). */
export const procSysPath = (key: string): string =>
  `/proc/sys/${[...key].map((c) => (c === "." ? "/" : c === "/" ? "." : c)).join("")}`;

export type SysctlFact = Readonly<Record<string, string | null>>;

export const sysctlFact: Fact<SysctlFact> = {
  name: "sysctl",
  command: (keys) => ({ argv: ["sh", "-c", PROBE, "lvsplay-fact", ...keys.map(procSysPath)] }),
  parse: (r, keys) => {
    const values: Record<string, string | null> = {};
    const keyOf = new Map(keys.map((k) => [procSysPath(k), k]));
    for (const k of keys) values[k] = null;
    for (const line of r.stdout.split("\n")) {
      const colon = line.indexOf(":");
      const key = colon < 0 ? undefined : keyOf.get(line.slice(0, colon));
      if (key !== undefined) values[key] = line.slice(colon + 1).trim();
    }
    return values;
  },
};
