// The verify stage's mark checks, per back-end: do the live rules equal the
// desired ones (with the current peer MACs), and does what a reboot restores
// equal what runs. Also what the director reports for the loop analysis:
// its live rules as iptables-save lines and the members of its peer set.
import type { CheckResult } from "../../engine/types.js";
import type { FileFact } from "../../facts/file.js";
import type { FirewalldFact } from "../../facts/firewalld.js";
import {
  desiredRichRules,
  FIREWALLD_PEER_SET,
  firewalldDirectRules,
  includesAfterFlush,
  isOurRichRule,
  type MangleState,
  type MarkRuleSpec,
  NFT_SET,
  type NftPersistPaths,
  parseFirewalldDirectList,
  parseMangle,
  sameMembers,
} from "../../lvs/index.js";
import type { MarkPlan } from "./data-keys.js";
import { liveRichLines } from "./marks-firewalld.js";
import { liveNftLines } from "./marks-nftables.js";
import type { BackendFacts, ResolvedBackend } from "./shared.js";

const pass = (name: string, detail: string): CheckResult => ({ name, status: "pass", detail });
const fail = (name: string, detail: string): CheckResult => ({ name, status: "fail", detail });

export interface MarkVerification {
  readonly checks: CheckResult[];
  /** Live rules as iptables-save lines, and peer sets, for the cluster's loop analysis. */
  readonly chainRules: string[];
  readonly peerSets: Record<string, string[]>;
}

const same = (a: readonly string[], b: readonly string[]) => a.join("\n") === b.join("\n");
const sorted = (a: readonly string[]) => [...a].sort();

function firewalldDirectChecks(fw: FirewalldFact, marks: MarkPlan, mangle: MangleState): CheckResult[] {
  // firewalld's iptables backend jumps from PREROUTING_direct instead of PREROUTING.
  const jumps = mangle.jumpCount + mangle.directJumpCount;
  const ok = jumps === 1 && same(mangle.chainRules, marks.rules);
  const ours = (lines: readonly string[]) =>
    parseFirewalldDirectList(lines.join("\n"))
      .map((r) => r.join(" "))
      .filter((r) => r.includes("LVSPLAY-MARK"))
      .sort();
  const want = sorted(firewalldDirectRules(marks.rules).rules.map((r) => r.join(" ")));
  const equal = same(ours(fw.permanentRules), ours(fw.runtimeRules));
  const complete = same(ours(fw.permanentRules), want);
  return [
    ok
      ? pass("mark rules", `${marks.rules.length} firewalld direct rule(s) excluding the current peer MACs`)
      : fail("mark rules", `live chain differs from desired (jumps: ${jumps})`),
    equal && complete
      ? pass("persisted = runtime", "firewalld permanent direct rules equal runtime")
      : fail(
          "persisted = runtime",
          equal
            ? "firewalld permanent rules differ from desired"
            : "firewalld permanent and runtime direct rules differ",
        ),
  ];
}

function firewalldRichChecks(
  fw: FirewalldFact,
  marks: MarkPlan,
  desiredRich: readonly string[],
): CheckResult[] {
  const peers = marks.peerSet?.members ?? [];
  const runtime = fw.peerSet.runtime;
  const permanent = fw.peerSet.permanent;
  const live = sorted(liveRichLines(fw, "runtime"));
  const stored = sorted(liveRichLines(fw, "permanent"));
  const ourRuntime = sorted(fw.richRules.flatMap((z) => z.runtime.filter(isOurRichRule)));
  const rulesOk = same(ourRuntime, sorted(desiredRich));
  const membersOk = runtime !== null && sameMembers(runtime.entries, peers);
  const direct = fw.runtimeRules.some((r) => r.includes("LVSPLAY-MARK"));
  return [
    rulesOk && membersOk && !direct
      ? pass(
          "mark rules",
          `${live.length} rich rule(s) excluding ipset ${FIREWALLD_PEER_SET} (${peers.join(", ") || "no peers"})`,
        )
      : fail(
          "mark rules",
          !membersOk
            ? `ipset ${FIREWALLD_PEER_SET} holds ${runtime?.entries.join(", ") || "nothing"}, want ${peers.join(", ") || "nothing"}`
            : direct
              ? "old firewalld direct rules still present"
              : `${ourRuntime.length} rich rule(s) of lvsplay differ from the ${desiredRich.length} desired`,
        ),
    same(live, stored) &&
    permanent !== null &&
    runtime !== null &&
    sameMembers(permanent.entries, runtime.entries)
      ? pass("persisted = runtime", "firewalld permanent ipset and rich rules equal runtime")
      : fail("persisted = runtime", "firewalld permanent ipset or rich rules differ from runtime"),
  ];
}

export function verifyMarks(
  backend: ResolvedBackend,
  bf: BackendFacts,
  marks: MarkPlan,
  specs: readonly MarkRuleSpec[],
  mangleText: string,
  files: { readonly saved: FileFact | undefined; readonly nftOurs: FileFact; readonly nftConf: FileFact },
  nftPaths: NftPersistPaths,
  savePath: string | undefined,
): MarkVerification {
  const mangle = parseMangle(mangleText);
  if (backend === "nftables") {
    const ours = bf.nftables.ruleset.ours;
    const lines = liveNftLines(bf.nftables);
    const members = [...(ours?.set?.elements ?? [])];
    const peers = marks.peerSet?.members ?? [];
    const ok = same(lines, marks.rules) && ours?.chain?.hook === "prerouting" && sameMembers(members, peers);
    const persistedOk =
      files.nftOurs.content !== null &&
      includesAfterFlush(files.nftConf.content, nftPaths.ours) &&
      bf.nftables.service !== "disabled" &&
      bf.nftables.service !== "absent";
    return {
      checks: [
        ok
          ? pass(
              "mark rules",
              `table inet lvsplay: ${lines.length} rule(s), set ${NFT_SET} = ${members.join(", ") || "(empty)"}`,
            )
          : fail(
              "mark rules",
              `table inet lvsplay differs from desired (set: ${members.join(", ") || "(empty)"})`,
            ),
        persistedOk
          ? pass(
              "persisted = runtime",
              `${nftPaths.ours} included from ${nftPaths.conf}, nftables.service ${bf.nftables.service}`,
            )
          : fail(
              "persisted = runtime",
              `${nftPaths.ours} ${files.nftOurs.exists ? "present" : "missing"}, included after flush: ${includesAfterFlush(files.nftConf.content, nftPaths.ours)}, nftables.service ${bf.nftables.service}`,
            ),
      ],
      chainRules: lines,
      peerSets: { [NFT_SET]: members },
    };
  }
  if (backend === "firewalld") {
    const fw = bf.firewalld;
    return {
      checks: firewalldRichChecks(fw, marks, desiredRichRules(specs)),
      chainRules: liveRichLines(fw, "runtime"),
      peerSets: { [FIREWALLD_PEER_SET]: [...(fw.peerSet.runtime?.entries ?? [])] },
    };
  }
  if (backend === "firewalld-direct")
    return {
      checks: firewalldDirectChecks(bf.firewalld, marks, mangle),
      chainRules: mangle.chainRules,
      peerSets: {},
    };
  const ok = mangle.jumpCount === 1 && same(mangle.chainRules, marks.rules);
  const persisted = parseMangle(files.saved?.content ?? "");
  const equal = persisted.jumpCount === 1 && same(persisted.chainRules, mangle.chainRules);
  return {
    checks: [
      ok
        ? pass("mark rules", `${marks.rules.length} rule(s) excluding the current peer MACs`)
        : fail("mark rules", `live chain differs from desired (jumps: ${mangle.jumpCount})`),
      equal
        ? pass("persisted = runtime", `${savePath} matches the live chain`)
        : fail(
            "persisted = runtime",
            `${savePath} ${files.saved?.exists ? "differs from" : "is missing; live has"} the live chain`,
          ),
    ],
    chainRules: mangle.chainRules,
    peerSets: {},
  };
}
