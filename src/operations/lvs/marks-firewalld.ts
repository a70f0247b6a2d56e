// The marks on a firewalld host, runtime configuration (lvs.persist writes the
// permanent one). Rich rules + the ipset lvs_mark_list where firewalld supports
// them; direct rules as the fallback (shared.richRulesUnsupported says when).
//
// firewalld creates ipsets only in its permanent configuration: the first
// apply on a host (and the move from direct rules) writes the permanent
// configuration — ipset, members, rich rules, our direct rules removed — and
// runs `firewall-cmd --reload`, which applies all of it at once (firewalld
// drops new connections while it reloads; the marks are in place before it
// accepts again). Afterwards changes are runtime commands, additions first.
// Changes are planned as firewall-cmd argv lists; where busctl read the facts
// they run as the same D-Bus calls made with busctl (lvs/marks/firewalld-dbus.ts).
import type { FirewalldFact } from "../../facts/firewalld.js";
import type { Service } from "../../inventory/model.js";
import {
  describedSetRule,
  desiredMarkRules,
  desiredRichRules,
  FIREWALLD_PEER_SET,
  FIREWALLD_SET_TYPE,
  firewalldCommands,
  firewalldDirectRemoval,
  firewalldDirectRules,
  firewalldRichCommands,
  isOurRichRule,
  MARK_CHAIN,
  parseFirewalldDirectList,
  parseRichRule,
} from "../../lvs/index.js";
import { describeMarkDrift, type MarkDriftNote } from "../../lvs/marks/drift.js";
import { firewallCmdArgv } from "../../lvs/marks/firewall-cmd.js";
import { firewalldWrite } from "../../lvs/marks/firewalld-dbus.js";
import { type BackendMarkPlan, driftCommand, firewallCmdSummary, type MarkContext } from "./marks-context.js";

/** Our rich rules of one configuration, as iptables-save lines (service names are not in rich rules). */
export function liveRichLines(fw: FirewalldFact, where: "runtime" | "permanent"): string[] {
  return fw.richRules.flatMap((z) =>
    z[where].filter(isOurRichRule).map((r) => {
      const spec = parseRichRule(r);
      return spec === null
        ? `(rich rule lvsplay did not write in zone ${z.zone}: ${r})`
        : describedSetRule({ ...spec, service: `zone ${z.zone}` }, FIREWALLD_PEER_SET);
    }),
  );
}

/** Rich rules of one configuration (runtime or permanent) as firewalldRichCommands reads them. */
export const richLive = (fw: FirewalldFact, where: "runtime" | "permanent") => ({
  zones: fw.richRules.map((z) => ({ name: z.zone, rules: z[where] })),
  set: fw.peerSet[where],
});

/** Our direct rules of one configuration. */
export const directLive = (fw: FirewalldFact, where: "runtime" | "permanent") => ({
  rules: parseFirewalldDirectList((where === "runtime" ? fw.runtimeRules : fw.permanentRules).join("\n")),
  chains: parseFirewalldDirectList((where === "runtime" ? fw.runtimeChains : fw.permanentChains).join("\n")),
});

/** Lines of our direct chain (the old layout), for drift notes. */
const directChainLines = (fw: FirewalldFact): string[] =>
  fw.runtimeRules.filter((r) => r.split(/\s+/)[2] === MARK_CHAIN);

export function planFirewalldRich(
  mc: MarkContext,
  fw: FirewalldFact,
  zone: string,
  services: readonly Service[],
  marks: Readonly<Record<string, number>>,
): BackendMarkPlan {
  const rules = mc.specs.map((s) => describedSetRule(s, FIREWALLD_PEER_SET));
  const peerSet = { name: FIREWALLD_PEER_SET, members: mc.peers };
  const desired = { zone, rules: desiredRichRules(mc.specs), members: mc.peers };
  const runtimeSet = fw.peerSet.runtime;
  for (const [where, set] of Object.entries(fw.peerSet))
    if (set !== null && set.type !== FIREWALLD_SET_TYPE)
      return {
        changes: [],
        notes: [],
        rules,
        peerSet,
        error: `firewalld ${where} ipset ${FIREWALLD_PEER_SET} has type ${set.type}, not ${FIREWALLD_SET_TYPE}: remove it (firewall-cmd --permanent --delete-ipset=${FIREWALLD_PEER_SET}) and apply again`,
      };
  const direct = directChainLines(fw);
  const inSync =
    runtimeSet !== null &&
    firewalldRichCommands(desired, richLive(fw, "runtime"), { permanent: false }).length === 0;
  let drift: MarkDriftNote = describeMarkDrift({
    host: mc.host,
    current: runtimeSet === null ? direct : liveRichLines(fw, "runtime"),
    desired: runtimeSet === null ? desiredMarkRules(selfOf(mc), mc.directors, services, marks) : rules,
    hooked: true,
    directors: mc.directors,
    ...(runtimeSet === null ? {} : { currentMembers: runtimeSet.entries, desiredMembers: mc.peers }),
  });
  if (inSync && direct.length > 0)
    drift = {
      ...drift,
      kind: "mark-rule-differs",
      severity: "medium",
      summary: `${mc.host}: lvsplay's old firewalld direct rules are still there next to the rich rules`,
    };
  else if (runtimeSet === null && direct.length > 0 && drift.kind === "mark-rule-differs")
    drift = {
      ...drift,
      severity: "medium",
      summary: `${mc.host}: mark rules are firewalld direct rules (deprecated); apply moves them to ipset ${FIREWALLD_PEER_SET} + rich rules in zone ${zone}`,
    };

  const argvs: string[][] = [];
  if (runtimeSet === null) {
    // Bootstrap / migration: the whole permanent configuration, then one reload.
    argvs.push(...firewalldRichCommands(desired, richLive(fw, "permanent"), { permanent: true }));
    argvs.push(...firewalldDirectRemoval(directLive(fw, "permanent"), { permanent: true }));
    argvs.push(["firewall-cmd", "--reload"]);
  } else {
    argvs.push(...firewalldRichCommands(desired, richLive(fw, "runtime"), { permanent: false }));
    // Only once the rich rules mark: the old direct rules go.
    argvs.push(...firewalldDirectRemoval(directLive(fw, "runtime"), { permanent: false }));
  }
  const changes = argvs.map((planned) => {
    const { argv, equivalent } = firewalldWrite(fw.busctl, planned, mc.timeoutScale);
    return driftCommand(
      drift,
      planned.includes("--reload")
        ? "firewalld: reload (creates the runtime ipset, applies the permanent configuration at once)"
        : firewallCmdSummary(planned),
      argv,
      equivalent ? { equivalent } : {},
    );
  });
  const notes =
    changes.length === 0
      ? [
          `${desired.rules.length} rich rule(s) in zone ${zone} and ipset ${FIREWALLD_PEER_SET} (${mc.peers.length} peer MAC(s)) are up to date`,
        ]
      : [];
  return { changes, notes, rules, peerSet };
}

const selfOf = (mc: MarkContext) => {
  const self = mc.directors.find((d) => d.name === mc.host);
  if (!self) throw new Error(`${mc.host} is not among the discovered directors`);
  return self;
};

/** The fallback: firewalld direct rules (runtime), one --add/--remove per rule. */
export function planFirewalldDirect(
  mc: MarkContext,
  fw: FirewalldFact,
  services: readonly Service[],
  marks: Readonly<Record<string, number>>,
  why: string,
): BackendMarkPlan {
  const rules = desiredMarkRules(selfOf(mc), mc.directors, services, marks);
  const wanted = firewalldDirectRules(rules);
  const inChain = (words: readonly string[]) => words[2] === MARK_CHAIN;
  const runtime = fw.runtimeRules.map((r) => r.split(/\s+/));
  const drift = describeMarkDrift({
    host: mc.host,
    current: runtime.filter(inChain).map((r) => r.join(" ")),
    desired: wanted.rules.filter(inChain).map((r) => r.join(" ")),
    hooked: runtime.some((r) => r[2] === "PREROUTING" && r.includes(MARK_CHAIN)),
    directors: mc.directors,
  });
  // Adds come after removals in firewalldCommands; each is one firewalld transaction.
  const changes = firewalldCommands(wanted, directLive(fw, "runtime"), { permanent: false }).map((argv) =>
    driftCommand(
      drift,
      `firewalld runtime: ${argv.slice(2, 4).join(" ")} ${argv.slice(4).join(" ")}`,
      firewallCmdArgv(argv, mc.timeoutScale),
    ),
  );
  const notes = [`firewalld direct rules (fallback: ${why})`];
  if (changes.length === 0)
    notes.push(`${rules.length} mark rule(s) in firewalld runtime direct rules are up to date`);
  return { changes, notes, rules, peerSet: null };
}
