// Stage 3 — the mark rules. One rule per service on each director: packets to
// the VIP:port that did NOT come from another director's MAC get this
// director's fwmark. Where they live depends on the host's firewall
// (shared.resolveBackend): an iptables chain, nftables' table inet lvsplay,
// or firewalld rich rules + ipset (direct rules as the fallback). Rules we do
// not own are never touched.
import { z } from "zod";
import { cause } from "../../engine/cause.js";
import { type Change, factRequest, type Operation, type Plan } from "../../engine/types.js";
import { iptablesFact } from "../../facts/iptables.js";
import { kernelFact } from "../../facts/kernel.js";
import { markRuleSpecs, parseMangle, peerMacs } from "../../lvs/index.js";
import { DATA_PLANE, directorsOf, MARK_PLAN, type MarkPlan } from "./data-keys.js";
import type { BackendMarkPlan, MarkContext } from "./marks-context.js";
import { planFirewalldDirect, planFirewalldRich } from "./marks-firewalld.js";
import { planIptablesMarks } from "./marks-iptables.js";
import { planNftablesMarks } from "./marks-nftables.js";
import {
  backendFactRequests,
  backendFacts,
  clusterMarks,
  discoveredDirectors,
  duplicateMacError,
  firewalldZoneOf,
  isDirector,
  lvsOf,
  missingPeersError,
  resolveBackend,
  richRulesUnsupported,
} from "./shared.js";

const Args = z.strictObject({});

export const marksOperation: Operation<z.infer<typeof Args>> = {
  name: "lvs.marks",
  description: "write each director's fwmark rules (peer MACs excluded) into its own mangle chain",
  argsSchema: Args,
  parseArgs: (raw) => Args.parse(raw ?? {}),
  mayCause: () => [
    cause("ipvs-module"),
    cause("mark-rule-missing"),
    cause("mark-rule-stale-mac"),
    cause("mark-rule-differs"),
  ],
  // Only directors carry mark rules: real servers are not asked (every fact costs
  // process starts on every host of every run).
  facts: ({ host }) => (isDirector(host) ? [factRequest(iptablesFact), ...backendFactRequests()] : []),
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
    // Check mode on a bare host: iptables arrives with the packages stage.
    if (kernel.macMatch === "unknown")
      notes.push("iptables is not installed yet: the mac match is checked once it is");

    const { directors, missing } = discoveredDirectors(inventory, data);
    if (missing.length > 0) return { changes: [], error: missingPeersError(missing) };
    const dupMac = duplicateMacError(directors);
    if (dupMac) return { changes: [], error: dupMac };
    const allocation = clusterMarks(inventory, directors);
    if (allocation.errors.length > 0) return { changes: [], error: allocation.errors.join("; ") };
    const myMarks = allocation.marks[host.name] ?? {};
    const self = directors.find((d) => d.name === host.name);
    if (!self) return { changes: [], error: `${host.name} is not among the discovered directors` };
    const mc: MarkContext = {
      host: host.name,
      timeoutScale: host.connection.timeoutScale,
      directors,
      specs: markRuleSpecs(lvs.services, myMarks),
      peers: peerMacs(self, directors),
    };
    const bf = backendFacts(facts);
    const backend = resolveBackend(lvs, bf);
    const mangle = parseMangle(facts.get(factRequest(iptablesFact)).mangle);
    if (backend !== "nftables" && backend !== "firewalld" && kernel.macMatch === false)
      return { changes: [], error: "the kernel does not support the iptables `mac` match (xt_mac)" };
    let planned: BackendMarkPlan;
    if (backend === "firewalld" || backend === "firewalld-direct") {
      if (!bf.firewalld.running)
        return { changes: [], error: "persistence is firewalld but firewalld is not running" };
      const zone = firewalldZoneOf(bf.firewalld, self.interface);
      const why = richRulesUnsupported(bf.firewalld, bf.kernel);
      planned =
        why === null
          ? planFirewalldRich(mc, bf.firewalld, zone, lvs.services, myMarks)
          : planFirewalldDirect(mc, bf.firewalld, lvs.services, myMarks, why);
    } else if (backend === "nftables") planned = planNftablesMarks(mc, bf.nftables, mangle);
    else planned = planIptablesMarks(mc, mangle, bf.nftables, lvs.services, myMarks);
    if (planned.error !== undefined) return { changes: [], error: planned.error };
    const produce = [
      MARK_PLAN.value({
        marks: myMarks,
        rules: [...planned.rules],
        peerSet:
          planned.peerSet === null
            ? null
            : { name: planned.peerSet.name, members: [...planned.peerSet.members] },
      } satisfies MarkPlan),
    ];
    return { changes: [...changes, ...planned.changes], notes: [...notes, ...planned.notes], produce };
  },
};
