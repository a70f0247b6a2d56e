// The marks on a native nftables host: table inet lvsplay, replaced in one
// `nft -f` transaction when its rules differ, or only its set's members
// replaced (one transaction) when only a peer's MAC changed.
import type { NftablesFact } from "../../facts/nftables.js";
import {
  describedSetRule,
  NFT_SET,
  nftRulesMatch,
  nftSetMatches,
  renderNftReplace,
  renderNftSetUpdate,
} from "../../lvs/index.js";
import { renderRemoval } from "../../lvs/marks/chain.js";
import { describeMarkDrift } from "../../lvs/marks/drift.js";
import { IN_PLACE_MARKS, sameVipsAndMarks } from "../../lvs/marks/in-place.js";
import type { MangleState } from "../../lvs/marks/parse.js";
import { type BackendMarkPlan, driftCommand, leftoverRemoval, type MarkContext } from "./marks-context.js";

/** Our live table's rules as iptables-save lines (what the loop analysis and drift notes read). */
export const liveNftLines = (nft: NftablesFact): string[] =>
  (nft.ruleset.ours?.rules ?? []).map((r) =>
    r === null ? "(a rule lvsplay did not write)" : describedSetRule(r, NFT_SET),
  );

export function planNftablesMarks(mc: MarkContext, nft: NftablesFact, mangle: MangleState): BackendMarkPlan {
  const rules = mc.specs.map((s) => describedSetRule(s, NFT_SET));
  const peerSet = { name: NFT_SET, members: mc.peers };
  const notes: string[] = [];
  if (!nft.installed) notes.push("nft is not installed yet: the packages stage installs nftables");
  const ours = nft.ruleset.ours;
  const rulesOk = nftRulesMatch(ours, mc.specs);
  const setOk = nftSetMatches(ours, mc.peers);
  const drift = describeMarkDrift({
    host: mc.host,
    current: liveNftLines(nft),
    desired: rules,
    hooked: ours?.chain?.hook === "prerouting",
    directors: mc.directors,
    currentMembers: ours?.set?.elements ?? [],
    desiredMembers: mc.peers,
  });
  const inPlace =
    drift.kind !== "mark-rule-missing" && sameVipsAndMarks(liveNftLines(nft), rules)
      ? { inPlace: `table inet lvsplay ${IN_PLACE_MARKS}` }
      : {};
  const changes = [];
  if (!rulesOk) {
    const script = renderNftReplace(mc.specs, mc.peers);
    changes.push(
      driftCommand(
        drift,
        `replace table inet lvsplay (${mc.specs.length} rule(s), ${mc.peers.length} peer MAC(s))`,
        ["nft", "-f", "-"],
        {
          stdin: script,
          before: drift.actual ?? "(no table inet lvsplay)",
          after: script,
          ...inPlace,
        },
      ),
    );
  } else if (!setOk) {
    changes.push(
      driftCommand(
        drift,
        `replace the members of set inet lvsplay ${NFT_SET} (rules unchanged)`,
        ["nft", "-f", "-"],
        {
          stdin: renderNftSetUpdate(mc.peers),
          before: (ours?.set?.elements ?? []).join(", ") || "(empty)",
          after: mc.peers.join(", ") || "(empty)",
          ...inPlace,
        },
      ),
    );
  } else notes.push(`${mc.specs.length} mark rule(s) in table inet lvsplay are up to date`);
  // Moved here from the iptables back-end: the old chain would keep marking next to the table.
  const removal = renderRemoval(mangle);
  if (removal !== null)
    changes.push(
      leftoverRemoval(drift, {
        summary: `${mc.host}: lvsplay's iptables chain LVSPLAY-MARK is still there although this host's marks live in nftables`,
        change: "remove lvsplay's iptables chain LVSPLAY-MARK (the marks live in table inet lvsplay)",
        argv: ["iptables-restore", "--noflush"],
        script: removal,
      }),
    );
  return { changes, notes, rules, peerSet };
}
