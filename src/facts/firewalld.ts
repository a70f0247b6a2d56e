// firewalld state and its direct rules (runtime and permanent), used by the
// firewalld persistence back-end.
import type { Fact } from "../engine/types.js";

export interface FirewalldFact {
  readonly installed: boolean;
  readonly running: boolean;
  /** `firewall-cmd --direct --get-all-chains/rules` lines (runtime). */
  readonly runtimeChains: readonly string[];
  readonly runtimeRules: readonly string[];
  /** The same with --permanent. */
  readonly permanentChains: readonly string[];
  readonly permanentRules: readonly string[];
  /** Default zone's allowed protocols and ports (runtime, permanent), e.g. "vrrp", "80/tcp". */
  readonly runtimeOpen: readonly string[];
  readonly permanentOpen: readonly string[];
}

// firewall-cmd costs ~0.15 s per call (a Python start plus D-Bus): the eight
// reads run in parallel into a private temp dir, then print in a fixed order.
const READS: ReadonlyArray<readonly [string, string]> = [
  ["rc", "firewall-cmd --direct --get-all-chains"],
  ["rr", "firewall-cmd --direct --get-all-rules"],
  ["pc", "firewall-cmd --permanent --direct --get-all-chains"],
  ["pr", "firewall-cmd --permanent --direct --get-all-rules"],
  ["ro1", "firewall-cmd --list-protocols"],
  ["ro2", "firewall-cmd --list-ports"],
  ["po1", "firewall-cmd --permanent --list-protocols"],
  ["po2", "firewall-cmd --permanent --list-ports"],
];
const PROBE = [
  "if ! command -v firewall-cmd >/dev/null 2>&1; then echo state=missing; exit 0; fi",
  "if firewall-cmd --state >/dev/null 2>&1; then echo state=running; else echo state=stopped; exit 0; fi",
  "d=$(mktemp -d) || exit 1; trap 'rm -rf \"$d\"' EXIT",
  ...READS.map(([key, cmd]) => `${cmd} > "$d/${key}" 2>/dev/null &`),
  "wait",
  'for s in rc rr pc pr; do echo "--$s--"; cat "$d/$s"; done',
  'echo "--ro--"; cat "$d/ro1" "$d/ro2"',
  'echo "--po--"; cat "$d/po1" "$d/po2"',
].join("\n");

const section = (text: string, mark: string): string[] => {
  const at = text.indexOf(`--${mark}--\n`);
  if (at < 0) return [];
  const rest = text.slice(at + mark.length + 5);
  const end = rest.search(/^--(rc|rr|pc|pr|ro|po)--$/m);
  return (end < 0 ? rest : rest.slice(0, end))
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
};

export function parseFirewalld(stdout: string): FirewalldFact {
  const state = /^state=(\w+)$/m.exec(stdout)?.[1];
  return {
    installed: state !== "missing" && state !== undefined,
    running: state === "running",
    runtimeChains: section(stdout, "rc"),
    runtimeRules: section(stdout, "rr"),
    permanentChains: section(stdout, "pc"),
    permanentRules: section(stdout, "pr"),
    runtimeOpen: section(stdout, "ro").flatMap((l) => l.split(/\s+/)),
    permanentOpen: section(stdout, "po").flatMap((l) => l.split(/\s+/)),
  };
}

export const firewalldFact: Fact<FirewalldFact> = {
  name: "firewalld",
  command: () => ({ argv: ["sh", "-c", PROBE], timeoutSec: 60 }),
  parse: (r) => parseFirewalld(r.stdout),
};

/** Only whether firewalld runs (one cheap call), for stages that need no rules. */
export const firewalldStateFact: Fact<Pick<FirewalldFact, "installed" | "running">> = {
  name: "firewalld.state",
  command: () => ({
    argv: [
      "sh",
      "-c",
      "if ! command -v firewall-cmd >/dev/null 2>&1; then echo state=missing; elif firewall-cmd --state >/dev/null 2>&1; then echo state=running; else echo state=stopped; fi",
    ],
  }),
  parse: (r) => {
    const state = /^state=(\w+)$/m.exec(r.stdout)?.[1];
    return { installed: state === "running" || state === "stopped", running: state === "running" };
  },
};
