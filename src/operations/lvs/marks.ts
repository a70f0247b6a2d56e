// Stage 3 — the mark rules. One rule per service on each director: packets to
// the VIP:port that did NOT come from another director's MAC get this
// director's fwmark. Our chain's content is replaced atomically (one
// iptables-restore --noflush transaction); rules we do not own are never touched.
import { z } from "zod";
import { cause } from "../../engine/cause.js";
import { type Change, factRequest, type Operation, type Plan } from "../../engine/types.js";
import { firewalldFact } from "../../facts/firewalld.js";
import { iptablesFact } from "../../facts/iptables.js";
import { kernelFact } from "../../facts/kernel.js";
import { osFact } from "../../facts/os.js";
import {
  desiredMarkRules,
  diffRules,
  firewalldCommands,
  firewalldDirectRules,
  MARK_CHAIN,
  parseFirewalldDirectList,
  parseMangle,
  renderRestore,
} from "../../lvs/index.js";
import { describeMarkDrift } from "../../lvs/marks/drift.js";
import { DATA_PLANE, directorsOf, MARK_PLAN, type MarkPlan } from "./data-keys.js";
import {
  clusterMarks,
  discoveredDirectors,
  duplicateMacError,
  isDirector,
  lvsOf,
  missingPeersError,
  resolveBackend,
} from "./shared.js";

const Args = z.strictObject({});

export const marksOperation: Operation<z.infer<typeof Args>> = {
  name: "lvs.marks",
  description: "write each director's fwmark rules (peer MACs excluded) into its own mangle chain",
  parseArgs: (raw) => Args.parse(raw ?? {}),
  // Only directors carry mark rules: real servers are not asked (every fact costs
  // process starts on every host of every run).
  facts: ({ host }) =>
    isDirector(host)
      ? [factRequest(kernelFact), factRequest(iptablesFact), factRequest(osFact), factRequest(firewalldFact)]
      : [],
  produces: ({ host }) => (isDirector(host) ? [MARK_PLAN] : []),
  consumes: ({ host, inventory }) => (isDirector(host) ? [directorsOf(DATA_PLANE, inventory)] : []),
  plan: ({ host, inventory, facts, data }): Plan => {
    const lvs = lvsOf(inventory);
    if (!isDirector(host)) return { changes: [], skipped: "not a director" };
    const kernel = facts.get(factRequest(kernelFact));
    const changes: Change[] = [];
    const notes: string[] = [];
    // Preflight: IPVS and the mac match.
    if (kernel.ipvs === "absent") {
      if (!lvs.vrrpOnly) {
        return {
          changes: [],
          error:
            "IPVS not available on this kernel: /proc/net/ip_vs is missing and the ip_vs module cannot be loaded",
        };
      }
      notes.push("IPVS not available on this kernel: lab concession vrrp_only, keepalived runs VRRP only");
    } else if (kernel.ipvs === "loadable") {
      changes.push({
        kind: "command",
        summary: "load the ip_vs kernel module",
        cause: cause("ipvs-module"),
        command: { argv: ["modprobe", "ip_vs"], become: true, timeoutSec: 30 },
        before: "ip_vs not loaded",
        after: "ip_vs loaded",
      });
    }
    if (kernel.macMatch === false) {
      return { changes: [], error: "the kernel does not support the iptables `mac` match (xt_mac)" };
    }
    // Check mode on a bare host: iptables arrives with the packages stage.
    if (kernel.macMatch === "unknown")
      notes.push("iptables is not installed yet: the mac match is checked once it is");

    const { directors, missing } = discoveredDirectors(inventory, data);
    if (missing.length > 0) return { changes: [], error: missingPeersError(missing) };
    const dupMac = duplicateMacError(directors);
    if (dupMac) return { changes: [], error: dupMac };
    const allocation = clusterMarks(inventory, directors);
    if (allocation.errors.length > 0) return { changes: [], error: allocation.errors.join("; ") };
    const self = directors.find((d) => d.name === host.name)!;
    const myMarks = allocation.marks[host.name] ?? {};
    const desired = desiredMarkRules(self, directors, lvs.services, myMarks);
    const produce = [MARK_PLAN.value({ marks: myMarks, rules: desired } satisfies MarkPlan)];

    const backend = resolveBackend(
      lvs,
      facts.get(factRequest(osFact)),
      facts.get(factRequest(firewalldFact)),
    );
    if (backend === "firewalld") {
      const fw = facts.get(factRequest(firewalldFact));
      if (!fw.running) return { changes: [], error: "persistence is firewalld but firewalld is not running" };
      const live = {
        rules: parseFirewalldDirectList(fw.runtimeRules.join("\n")),
        chains: parseFirewalldDirectList(fw.runtimeChains.join("\n")),
      };
      const wanted = firewalldDirectRules(desired);
      const inChain = (words: readonly string[]) => words[2] === MARK_CHAIN;
      const runtime = fw.runtimeRules.map((r) => r.split(/\s+/));
      const drift = describeMarkDrift({
        host: host.name,
        current: runtime.filter(inChain).map((r) => r.join(" ")),
        desired: wanted.rules.filter(inChain).map((r) => r.join(" ")),
        hooked: runtime.some((r) => r[2] === "PREROUTING" && r.includes(MARK_CHAIN)),
        directors,
      });
      // Adds come after removals in firewalldCommands; each is one firewalld transaction.
      for (const argv of firewalldCommands(wanted, live, { permanent: false })) {
        changes.push({
          kind: "command",
          summary: `firewalld runtime: ${argv.slice(2, 4).join(" ")} ${argv.slice(4).join(" ")}`,
          command: { argv, become: true, timeoutSec: 60 },
          cause: cause(drift.kind),
          drift,
        });
      }
      if (changes.length === 0)
        notes.push(`${desired.length} mark rule(s) in firewalld runtime direct rules are up to date`);
      return { changes, notes, produce };
    }

    const mangle = parseMangle(facts.get(factRequest(iptablesFact)).mangle);
    const same = mangle.jumpCount === 1 && mangle.chainRules.join("\n") === desired.join("\n");
    if (!same) {
      const before = [
        ...mangle.chainRules,
        ...(mangle.jumpCount === 1 ? [] : [`(PREROUTING jumps to our chain: ${mangle.jumpCount})`]),
      ];
      const drift = describeMarkDrift({
        host: host.name,
        current: mangle.chainRules,
        desired,
        hooked: mangle.jumpCount === 1,
        directors,
      });
      changes.push({
        kind: "command",
        cause: cause(drift.kind),
        summary: `replace LVSPLAY-MARK (${diffRules(mangle.chainRules, desired).filter((l) => !l.startsWith("  ")).length} rule line(s) differ)`,
        command: {
          argv: ["iptables-restore", "--noflush"],
          stdin: renderRestore(desired, mangle),
          become: true,
          timeoutSec: 30,
        },
        before: before.join("\n"),
        after: desired.join("\n"),
        drift,
      });
    } else notes.push(`${desired.length} mark rule(s) up to date`);
    return { changes, notes, produce };
  },
};
