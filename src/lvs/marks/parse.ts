// Reading `iptables-save` output: our chain, our jump, and the marks that rules
// we do not own already set (so allocation can avoid them).
import { MARK_CHAIN } from "./chain.js";
import { splitRule } from "./tokens.js";

export interface MangleState {
  /** The output had a *mangle table at all (false: iptables-save -t mangle failed or printed nothing). */
  readonly mangleTableSeen: boolean;
  readonly chainExists: boolean;
  /** `-A LVSPLAY-MARK …` lines, in order, canonicalised (see canonicalRule). */
  readonly chainRules: string[];
  /** Number of `-A PREROUTING -j LVSPLAY-MARK` rules. */
  readonly jumpCount: number;
  /**
   * Jumps from PREROUTING_direct: where firewalld's iptables backend (RHEL 7)
   * puts a direct rule for PREROUTING; its nftables backend uses PREROUTING itself.
   */
  readonly directJumpCount: number;
  /** Marks set (MARK/CONNMARK --set-xmark) by rules outside our chain, any table. */
  readonly foreignMarks: Set<number>;
  /** The rules foreignMarks came from, for messages. */
  readonly foreignMarkRules: string[];
  /** Rules elsewhere that jump to or mention our chain other than the PREROUTING jump. */
  readonly strayReferences: string[];
}

/**
 * Normalise a live rule line so it compares with desired rules across iptables
 * versions: trim, and lower-case MACs (1.4/1.6 print them upper case).
 */
export const canonicalRule = (line: string): string =>
  line
    .trim()
    .replace(/(--mac-source )([0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5})/g, (_m, k, mac) => k + mac.toLowerCase());

/** Mark value from `--set-xmark V/M` (iptables-save always prints this form); 0 ⇒ clears, not a mark. */
function setMarkValue(argv: readonly string[]): number | undefined {
  const i = argv.indexOf("--set-xmark");
  const raw = i >= 0 ? argv[i + 1] : undefined;
  if (raw === undefined) return undefined;
  const value = Number(raw.split("/")[0]);
  return Number.isFinite(value) && value > 0 ? value : undefined;
}

export function parseMangle(saveOutput: string): MangleState {
  let table = "";
  let mangleTableSeen = false;
  let chainExists = false;
  let jumpCount = 0;
  let directJumpCount = 0;
  const chainRules: string[] = [];
  const foreignMarks = new Set<number>();
  const foreignMarkRules: string[] = [];
  const strayReferences: string[] = [];

  for (const rawLine of saveOutput.split("\n")) {
    const line = canonicalRule(rawLine);
    if (line === "" || line.startsWith("#")) continue;
    if (line.startsWith("*")) {
      table = line.slice(1);
      if (table === "mangle") mangleTableSeen = true;
      continue;
    }
    if (line === "COMMIT") continue;
    if (line.startsWith(":")) {
      if (table === "mangle" && line.split(" ")[0] === `:${MARK_CHAIN}`) chainExists = true;
      continue;
    }
    if (!line.startsWith("-A ")) continue;
    const argv = splitRule(line);
    const chain = argv[1];
    if (table === "mangle" && chain === MARK_CHAIN) {
      chainRules.push(line);
      continue;
    }
    if (table === "mangle" && line === `-A PREROUTING -j ${MARK_CHAIN}`) {
      jumpCount++;
      continue;
    }
    if (table === "mangle" && line === `-A PREROUTING_direct -j ${MARK_CHAIN}`) {
      directJumpCount++;
      continue;
    }
    if (argv.includes(MARK_CHAIN)) strayReferences.push(`${table}: ${line}`);
    const target = argv[argv.indexOf("-j") + 1];
    if (argv.includes("-j") && (target === "MARK" || target === "CONNMARK")) {
      const mark = setMarkValue(argv);
      if (mark !== undefined) {
        foreignMarks.add(mark);
        foreignMarkRules.push(`${table}: ${line}`);
      }
    }
  }
  return {
    mangleTableSeen,
    chainExists,
    chainRules,
    jumpCount,
    directJumpCount,
    foreignMarks,
    foreignMarkRules,
    strayReferences,
  };
}
