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

const PROBE = [
  "if ! command -v firewall-cmd >/dev/null 2>&1; then echo state=missing; exit 0; fi",
  "if firewall-cmd --state >/dev/null 2>&1; then echo state=running; else echo state=stopped; exit 0; fi",
  "echo '--rc--'; firewall-cmd --direct --get-all-chains",
  "echo '--rr--'; firewall-cmd --direct --get-all-rules",
  "echo '--pc--'; firewall-cmd --permanent --direct --get-all-chains",
  "echo '--pr--'; firewall-cmd --permanent --direct --get-all-rules",
  "echo '--ro--'; firewall-cmd --list-protocols; firewall-cmd --list-ports",
  "echo '--po--'; firewall-cmd --permanent --list-protocols; firewall-cmd --permanent --list-ports",
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
