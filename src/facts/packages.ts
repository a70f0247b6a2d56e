// Which of the named packages are installed (dpkg or rpm, whichever the host has).
// rpm is asked what *provides* a name: RHEL 9 ships iptables as iptables-nft.
import type { Fact } from "../engine/types.js";

// dpkg-query's own ${field} syntax, not a JS template.
const PROBE =
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query format string
  "if command -v dpkg-query >/dev/null 2>&1; then dpkg-query -W -f='${Package}\\t${db:Status-Abbrev}\\n' \"$@\" 2>/dev/null; " +
  'elif command -v rpm >/dev/null 2>&1; then for p in "$@"; do if rpm -q --whatprovides "$p" >/dev/null 2>&1; then printf "%s\\tii \\n" "$p"; fi; done; fi; true';

/** Package name → installed. */
export type PackagesFact = Readonly<Record<string, boolean>>;

export function parsePackages(stdout: string, names: readonly string[]): PackagesFact {
  const installed = new Set<string>();
  for (const line of stdout.split("\n")) {
    const [name, status] = line.split("\t");
    // dpkg's abbreviated status "ii " = desired install, currently installed.
    if (name && status?.startsWith("ii")) installed.add(name.replace(/:.*$/, ""));
  }
  return Object.fromEntries(names.map((n) => [n, installed.has(n)]));
}

export const packagesFact: Fact<PackagesFact> = {
  name: "packages",
  command: (names) => ({ argv: ["sh", "-c", PROBE, "lvsplay-fact", ...names] }),
  parse: (r, names) => parsePackages(r.stdout, names),
};
