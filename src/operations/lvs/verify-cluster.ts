// Stage 6b — cluster-wide checks over what every director reported in lvs.verify:
// the VIP is held by exactly one director, and no packet can be forwarded by two
// directors in a row (loop analysis over the live mark rules and IPVS services).
// On client hosts: N requests to each VIP are all answered.
import { z } from "zod";
import type { CheckResult, Operation, Plan } from "../../engine/types.js";
import { httpProbeRequest } from "../../facts/http-probe.js";
import type { IpvsService } from "../../facts/ipvs.js";
import {
  analyzeLoops,
  fwmarkServices,
  loopDirector,
  realServerNamesByAddress,
  resolveRealServers,
  type VirtualService,
} from "../../lvs/index.js";
import { expectedSpread } from "../../lvs/spread.js";
import { DATA_PLANE, directorsOf, MARK_PLAN, OBSERVATION } from "./data-keys.js";
import { discoveredDirectors, isClient, isDirector, lvsOf } from "./shared.js";
import { IPVS_UNAVAILABLE, settleSeconds } from "./verify.js";

const Args = z.strictObject({
  requests: z.number().int().min(1).max(1000).default(30),
  /** The lab's HTTP servers answer with their host name: check every real server answered. */
  expect_realserver_names: z.boolean().default(true),
});
type Args = z.infer<typeof Args>;

const urlsOf = (inv: Parameters<typeof lvsOf>[0]) =>
  lvsOf(inv)
    .services.filter((s) => s.protocol === "tcp")
    .map((s) => ({ service: s.name, url: `http://${s.vip}:${s.ports[0]}/` }));

const toLoopService = (s: IpvsService): VirtualService =>
  s.kind === "fwmark"
    ? { kind: "fwmark", mark: s.mark, realServers: s.realServers.map((r) => r.address) }
    : {
        kind: "vip",
        vip: s.vip,
        protocol: s.protocol,
        port: s.port,
        realServers: s.realServers.map((r) => r.address),
      };

function clusterChecks(ctx: Parameters<Operation<Args>["plan"]>[0]): CheckResult[] {
  const { inventory, data } = ctx;
  const lvs = lvsOf(inventory);
  const { directors, missing } = discoveredDirectors(inventory, data);
  const checks: CheckResult[] = [];
  const observed = directors.map((d) => ({ d, obs: data.get(OBSERVATION, d.name) }));
  const silent = [...missing, ...observed.filter((o) => !o.obs).map((o) => o.d.name)];
  if (silent.length > 0)
    checks.push({
      name: "all directors verified",
      status: "fail",
      detail: `no observations from ${silent.join(", ")}`,
    });

  // Directors are observed in parallel: one whose keepalived was just (re)started
  // may take the VIP a moment after a peer was seen holding it. Within the
  // election window that is VRRP settling, not split brain — said, not judged.
  const window = Number(settleSeconds(inventory));
  const young = observed.filter(
    (o) => o.obs?.keepalivedUptimeSec != null && o.obs.keepalivedUptimeSec < window,
  );
  for (const vip of new Set(lvs.services.map((s) => s.vip))) {
    const holders = observed.filter((o) => o.obs?.vipsHeld.includes(vip)).map((o) => o.d.name);
    const detail = holders.length === 0 ? "no director holds it" : `held by ${holders.join(", ")}`;
    const settling = young.map((o) => `${o.d.name} ${o.obs?.keepalivedUptimeSec} s`).join(", ");
    checks.push({
      name: `VIP ${vip} held once`,
      status: holders.length === 1 ? "pass" : young.length > 0 ? "skip" : "fail",
      detail:
        holders.length !== 1 && young.length > 0
          ? `${detail}, but VRRP is still settling (keepalived running for ${settling} of a ${window} s election window): run verify again`
          : detail,
    });
  }

  const realServers = resolveRealServers(inventory, directors);
  const model = {
    directors: observed.flatMap(({ d, obs }) => {
      if (!obs) return [];
      const marks = data.get(MARK_PLAN, d.name);
      // Live IPVS when the kernel has it; otherwise the services keepalived was configured with.
      const services =
        obs.ipvs.available && !lvs.vrrpOnly
          ? obs.ipvs.services.map(toLoopService)
          : fwmarkServices(marks?.marks ?? {}, realServers);
      return [loopDirector(d, obs.chainRules, services, obs.peerSets)];
    }),
    names: realServerNamesByAddress(realServers),
  };
  const analysis = analyzeLoops(model);
  checks.push({
    name: "loop freedom",
    status: analysis.ok ? "pass" : "fail",
    detail: analysis.ok
      ? `${analysis.paths.length} path(s), none forwarded by two directors${lvs.vrrpOnly ? ` (IPVS services as configured: ${IPVS_UNAVAILABLE})` : ""}`
      : analysis.problems.join(" | "),
  });
  return checks;
}

export const verifyClusterOperation: Operation<Args> = {
  name: "lvs.verify_cluster",
  description: "cluster checks: VIP held once, loop-freedom analysis, client requests to every VIP answered",
  argsSchema: Args,
  parseArgs: (raw) => Args.parse(raw ?? {}),
  facts: ({ host, inventory, args, probes }) =>
    isClient(host) && probes !== false
      ? urlsOf(inventory).map((u) => httpProbeRequest(host, u.url, args.requests))
      : [],
  // Directors check the cluster from every director's observations; clients
  // only need the real servers' addresses (directors' from their data plane).
  consumes: ({ host, inventory }) =>
    isDirector(host)
      ? [
          directorsOf(DATA_PLANE, inventory),
          directorsOf(MARK_PLAN, inventory),
          directorsOf(OBSERVATION, inventory),
        ]
      : isClient(host)
        ? [directorsOf(DATA_PLANE, inventory)]
        : [],
  plan: (ctx): Plan => {
    const { host, inventory, args, facts, data, selected } = ctx;
    const lvs = lvsOf(inventory);
    const checks: CheckResult[] = [];
    const { directors } = discoveredDirectors(inventory, data);
    // Cluster checks run once, on the first director of this run that reported
    // (directors only read for their observations do not run tasks).
    const first = directors.find((d) => selected.includes(d.name) && data.get(OBSERVATION, d.name));
    if (isDirector(host) && first?.name === host.name) checks.push(...clusterChecks(ctx));
    if (isClient(host) && ctx.probes === false) {
      for (const { service } of urlsOf(inventory))
        checks.push({
          name: `requests to ${service}`,
          status: "skip",
          detail: "not probed: audit --watch reads only what drift detection needs",
        });
    } else if (isClient(host)) {
      const names = resolveRealServers(inventory, directors).map((r) => r.name);
      for (const { service, url } of urlsOf(inventory)) {
        const answers = facts.get(httpProbeRequest(host, url, args.requests)).answers;
        const ok = answers.filter((a) => a !== "-").length;
        const by = [...new Set(answers.filter((a) => a !== "-"))].sort();
        checks.push({
          name: `requests to ${service}`,
          status: ok === args.requests ? "pass" : "fail",
          detail: `${ok}/${args.requests} answered${by.length ? ` by ${by.join(", ")}` : ""}`,
        });
        if (args.expect_realserver_names) {
          if (lvs.vrrpOnly) {
            checks.push({
              name: `${service} balanced over real servers`,
              status: "skip",
              detail: IPVS_UNAVAILABLE,
            });
          } else {
            const svc = lvs.services.find((s) => s.name === service);
            const spread = svc ? expectedSpread(svc, names, args.requests) : undefined;
            if (spread?.kind === "every") {
              const silent = spread.servers.filter((n) => !by.includes(n));
              checks.push({
                name: `${service} balanced over real servers`,
                status: silent.length === 0 ? "pass" : "fail",
                detail:
                  silent.length === 0
                    ? `answers from ${spread.servers.join(", ")}`
                    : `no answer from ${silent.join(", ")}`,
              });
            } else {
              // Said, not judged: this scheduler makes no promise about one client's requests.
              checks.push({
                name: `${service} balanced over real servers`,
                status: "skip",
                detail: `answers from ${by.join(", ") || "none"}; not judged: ${spread?.why ?? "unknown service"}`,
              });
            }
          }
        }
      }
    }
    if (checks.length === 0)
      return {
        changes: [],
        skipped: first ? `cluster checks run on ${first.name}` : "nothing to check here",
      };
    return { changes: [], checks };
  },
};
