// How each back-end's marks survive a reboot (lvs.persist plans with these):
// nftables — our table's file included from the nftables.service config, the
// service enabled; firewalld — the permanent ipset, rich rules (or direct rules).
import { cause } from "../../engine/cause.js";
import type { Change } from "../../engine/types.js";
import type { FileFact } from "../../facts/file.js";
import type { FirewalldFact } from "../../facts/firewalld.js";
import type { NftablesFact } from "../../facts/nftables.js";
import {
  desiredRichRules,
  FIREWALLD_PEER_SET,
  firewalldDirectRemoval,
  firewalldRichCommands,
  type MarkRuleSpec,
  mergeNftInclude,
  type NftPersistPaths,
  renderNftReplace,
} from "../../lvs/index.js";
import { firewalldWrite } from "../../lvs/marks/firewalld-dbus.js";
import { firewallCmdSummary } from "./marks-context.js";
import { directLive, richLive } from "./marks-firewalld.js";

const persisted = (summary: string, argv: readonly string[], equivalent?: readonly string[]): Change => ({
  kind: "command",
  cause: cause("persisted-rules"),
  summary,
  command: { argv: [...argv], become: true, timeoutSec: 60 },
  ...(equivalent ? { equivalent: [...equivalent] } : {}),
});

/** The nftables files and nftables.service's boot enablement. */
export function nftablesPersistChanges(
  paths: NftPersistPaths,
  specs: readonly MarkRuleSpec[],
  peers: readonly string[],
  files: { readonly ours: FileFact; readonly conf: FileFact },
  nft: NftablesFact,
): { changes: Change[]; notes: string[] } {
  const changes: Change[] = [];
  const notes: string[] = [];
  const content = renderNftReplace(specs, peers);
  if (files.ours.content !== content)
    changes.push({
      kind: "file",
      cause: cause("persisted-rules"),
      summary: `persist table inet lvsplay in ${paths.ours}`,
      path: paths.ours,
      before: files.ours.content,
      after: content,
      mode: "0644",
      validate: ["nft", "-c", "-f", "{}"],
      backup: false,
    });
  const conf = mergeNftInclude(files.conf.content, paths.ours);
  if (files.conf.content !== conf)
    changes.push({
      kind: "file",
      cause: cause("persisted-rules"),
      summary: `include ${paths.ours} in ${paths.conf} after its flush ruleset`,
      path: paths.conf,
      before: files.conf.content,
      after: conf,
      mode: files.conf.mode ? `0${files.conf.mode.slice(-3)}` : "0755",
      validate: ["nft", "-c", "-f", "{}"],
      backup: files.conf.exists,
    });
  if (nft.service === "unknown")
    notes.push("no systemctl here: cannot tell whether nftables.service loads the rules at boot");
  else if (nft.service !== "enabled")
    changes.push({
      kind: "command",
      cause: cause("service-boot", "nftables"),
      summary: "enable nftables.service (loads the persisted rules at boot)",
      command: { argv: ["systemctl", "enable", "nftables.service"], become: true, timeoutSec: 60 },
    });
  return { changes, notes };
}

/**
 * firewalld's permanent configuration: ipset, members, rich rules, our old
 * direct rules removed. Before the runtime ipset exists lvs.marks writes all
 * of it (then reloads), so nothing is planned here.
 */
export function firewalldRichPersistChanges(
  fw: FirewalldFact,
  zone: string,
  specs: readonly MarkRuleSpec[],
  peers: readonly string[],
  timeoutScale: number,
): { changes: Change[]; notes: string[] } {
  if (fw.peerSet.runtime === null)
    return {
      changes: [],
      notes: [
        `no runtime ipset ${FIREWALLD_PEER_SET}: lvs.marks writes the permanent configuration and reloads`,
      ],
    };
  const desired = { zone, rules: desiredRichRules(specs), members: peers };
  const argvs = [
    ...firewalldRichCommands(desired, richLive(fw, "permanent"), { permanent: true }),
    ...firewalldDirectRemoval(directLive(fw, "permanent"), { permanent: true }),
  ];
  return {
    changes: argvs.map((planned) => {
      const { argv, equivalent } = firewalldWrite(fw.busctl, planned, timeoutScale);
      return persisted(firewallCmdSummary(planned), argv, equivalent);
    }),
    notes: [],
  };
}
