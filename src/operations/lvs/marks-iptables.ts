// The marks on an iptables host: our chain LVSPLAY-MARK, replaced in one
// iptables-restore --noflush transaction (peers excluded one `-m mac` match
// each: the whole chain changes in that one transaction, so a NIC swap is
// atomic here too).
import type { NftablesFact } from "../../facts/nftables.js";
import type { Service } from "../../inventory/model.js";
import { desiredMarkRules, diffRules, renderNftRemoval, renderRestore } from "../../lvs/index.js";
import { describeMarkDrift } from "../../lvs/marks/drift.js";
import { IN_PLACE_MARKS, sameVipsAndMarks } from "../../lvs/marks/in-place.js";
import type { MangleState } from "../../lvs/marks/parse.js";
import { type BackendMarkPlan, driftCommand, leftoverRemoval, type MarkContext } from "./marks-context.js";

export function planIptablesMarks(
  mc: MarkContext,
  mangle: MangleState,
  nft: NftablesFact,
  services: readonly Service[],
  marks: Readonly<Record<string, number>>,
): BackendMarkPlan {
  const self = mc.directors.find((d) => d.name === mc.host);
  if (!self) throw new Error(`${mc.host} is not among the discovered directors`);
  const desired = desiredMarkRules(self, mc.directors, services, marks);
  const changes = [];
  const notes: string[] = [];
  const same = mangle.jumpCount === 1 && mangle.chainRules.join("\n") === desired.join("\n");
  const drift = describeMarkDrift({
    host: mc.host,
    current: mangle.chainRules,
    desired,
    hooked: mangle.jumpCount === 1,
    directors: mc.directors,
  });
  if (!same) {
    const before = [
      ...mangle.chainRules,
      ...(mangle.jumpCount === 1 ? [] : [`(PREROUTING jumps to our chain: ${mangle.jumpCount})`]),
    ];
    const differing = diffRules(mangle.chainRules, desired).filter((l) => !l.startsWith("  ")).length;
    changes.push(
      driftCommand(
        drift,
        `replace LVSPLAY-MARK (${differing} rule line(s) differ)`,
        ["iptables-restore", "--noflush"],
        {
          stdin: renderRestore(desired, mangle),
          before: before.join("\n"),
          after: desired.join("\n"),
          ...(drift.kind !== "mark-rule-missing" && sameVipsAndMarks(mangle.chainRules, desired)
            ? { inPlace: `LVSPLAY-MARK ${IN_PLACE_MARKS}` }
            : {}),
        },
      ),
    );
  } else notes.push(`${desired.length} mark rule(s) up to date`);
  // Moved here from the nftables back-end: the old table would keep marking next to the chain.
  const removal = renderNftRemoval(nft.ruleset.ours !== null);
  if (removal !== null)
    changes.push(
      leftoverRemoval(drift, {
        summary: `${mc.host}: lvsplay's table inet lvsplay is still there although this host's marks live in iptables`,
        change: "remove table inet lvsplay (the marks live in the iptables chain LVSPLAY-MARK)",
        argv: ["nft", "-f", "-"],
        script: removal,
      }),
    );
  return { changes, notes, rules: desired, peerSet: null };
}
