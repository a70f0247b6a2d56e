// Which of the named packages are installed (dpkg or rpm, whichever the host has).
// rpm is asked what *provides* a name: RHEL 9 ships iptables as iptables-nft.
import type { Fact } from "../engine/types.js";

// dpkg's database read with one awk (~2 ms) rather than dpkg-query (~7 ms,
// on every host of every run); dpkg-query where the database is elsewhere.
// Both print NAME<TAB>ABBREV, the second letter of ABBREV being the current
// state ("i": installed, whether selected for install or held).
const DPKG_STATUS = "/var/lib/dpkg/status";
const AWK_STATUS =
  '/^Package: /{p=$2} /^Status: / && index(want, " " p " "){print p "\\t" ($4 == "installed" ? "?i" : "?-")}';
const PROBE =
  `if command -v dpkg-query >/dev/null 2>&1; then if [ -r ${DPKG_STATUS} ]; then ` +
  `awk -v want=" $* " '${AWK_STATUS}' ${DPKG_STATUS}; else ` +
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query format string
  "dpkg-query -W -f='${Package}\\t${db:Status-Abbrev}\\n' \"$@\" 2>/dev/null; fi; " +
  'elif command -v rpm >/dev/null 2>&1; then for p in "$@"; do if rpm -q --whatprovides "$p" >/dev/null 2>&1; then printf "%s\\tii \\n" "$p"; fi; done; fi; true';

/** Package name → installed. */
export type PackagesFact = Readonly<Record<string, boolean>>;

export function parsePackages(stdout: string, names: readonly string[]): PackagesFact {
  const installed = new Set<string>();
  for (const line of stdout.split("\n")) {
    const [name, status] = line.split("\t");
    // dpkg's abbreviated status: the second letter is the current state, "i" installed
    // ("ii" selected for install, "hi" held: installed either way).
    if (name && status?.[1] === "i") installed.add(name.replace(/:.*$/, ""));
  }
  return Object.fromEntries(names.map((n) => [n, installed.has(n)]));
}

export const packagesFact: Fact<PackagesFact> = {
  name: "packages",
  command: (names) => ({ argv: ["sh", "-c", PROBE, "lvsplay-fact", ...names] }),
  parse: (r, names) => parsePackages(r.stdout, names),
};
