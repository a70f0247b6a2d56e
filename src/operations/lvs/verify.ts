// Stage 6 — verify, per host (read-only). Each check is a named result; the
// host's observations are published for the cluster-wide checks that follow.
import { z } from "zod";
import { type CheckResult, factRequest, type Operation, type Plan } from "../../engine/types.js";
import { fileFact } from "../../facts/file.js";
import { iptablesFact } from "../../facts/iptables.js";
import { ipvsFact } from "../../facts/ipvs.js";
import { networkFact } from "../../facts/network.js";
import { serviceFact } from "../../facts/service.js";
import { sysctlFact } from "../../facts/sysctl.js";
import { vrrpSettleFact } from "../../facts/vrrp-settle.js";
import { markRuleSpecs, NFT_PERSIST_PATHS, parseMangle, resolveRealServers } from "../../lvs/index.js";
import { vrrpSettleSec } from "../../lvs/keepalived/model.js";
import { DATA_PLANE, type DirectorObservation, MARK_PLAN, OBSERVATION } from "./data-keys.js";
import { DR_SYSCTLS } from "./dr-sysctl.js";
import { drainFilePresent, drainFileRequests } from "./drain-left-behind.js";
import { ipvsSysctls } from "./ipvs-sysctl.js";
import { keepalivedConfigRequest, keepalivedNeeds } from "./keepalived.js";
import {
  backendFactRequests,
  backendFacts,
  discoveredDirectors,
  isDirector,
  isRealServer,
  lvsOf,
  resolveBackend,
  SAVE_FILE,
} from "./shared.js";
import { sameSysctlValue } from "./sysctl-plan.js";
import { drainCheck, keepalivedConfigCheck, syncDaemonCheck } from "./verify-keepalived.js";
import { type MarkVerification, verifyMarks } from "./verify-marks.js";

const Args = z.strictObject({});

export type { DirectorObservation } from "./data-keys.js";

const pass = (name: string, detail: string): CheckResult => ({ name, status: "pass", detail });
const fail = (name: string, detail: string): CheckResult => ({ name, status: "fail", detail });
const skip = (name: string, detail: string): CheckResult => ({ name, status: "skip", detail });
export const IPVS_UNAVAILABLE = "IPVS not available on this kernel";

/** After this long a (re)started keepalived has had its election (vrrpSettleSec). */
export const settleSeconds = (inventory: Parameters<typeof lvsOf>[0]): string =>
  String(vrrpSettleSec(lvsOf(inventory)));

/** VRRP settle wait for one VIP; keepalived's config files date a reload that (re)started an election. */
const settleRequest = (inventory: Parameters<typeof lvsOf>[0], vip: string, iface: string) => {
  const { configPath, ownPath } = lvsOf(inventory).keepalived;
  return factRequest(vrrpSettleFact, vip, settleSeconds(inventory), iface, configPath, ownPath);
};

const directorFacts = (inventory: Parameters<typeof lvsOf>[0], iface: string | undefined) => [
  // First in the batch (facts run in order): the network fact below is then read
  // once VRRP had time to elect a master (keepalived may have just been started).
  // Unknown interface (read ahead of discovery): the verify stage reads it.
  ...(iface === undefined
    ? []
    : [...new Set(lvsOf(inventory).services.map((s) => s.vip))].map((vip) =>
        settleRequest(inventory, vip, iface),
      )),
  factRequest(iptablesFact),
  ...backendFactRequests(),
  factRequest(fileFact, SAVE_FILE["rules.v4"]),
  factRequest(fileFact, SAVE_FILE.sysconfig),
  ...Object.values(NFT_PERSIST_PATHS).flatMap((p) => [
    factRequest(fileFact, p.ours),
    factRequest(fileFact, p.conf),
  ]),
  keepalivedConfigRequest(inventory),
  factRequest(serviceFact, "keepalived"),
  ...drainFileRequests(inventory),
  factRequest(ipvsFact),
  factRequest(sysctlFact, ...Object.keys(ipvsSysctls(lvsOf(inventory)))),
];
const realServerFacts = [factRequest(networkFact), factRequest(sysctlFact, ...Object.keys(DR_SYSCTLS))];

export const verifyOperation: Operation<z.infer<typeof Args>> = {
  name: "lvs.verify",
  description: "read-only checks: mark rules, persistence, keepalived, IPVS, DR sysctls, VIP on lo",
  argsSchema: Args,
  parseArgs: (raw) => Args.parse(raw ?? {}),
  facts: ({ host, inventory, data }) => [
    ...(isDirector(host)
      ? // Before discovery ran (facts read ahead), the inventory's interface is the one discovery will find.
        directorFacts(inventory, data.get(DATA_PLANE, host.name)?.interface ?? host.interface)
      : []),
    ...(isDirector(host) || isRealServer(host) ? realServerFacts : []),
  ],
  produces: ({ host }) => (isDirector(host) ? [OBSERVATION] : []),
  consumes: ({ host, inventory }) => (isDirector(host) ? keepalivedNeeds(host.name, inventory) : []),
  plan: ({ host, inventory, facts, data }): Plan => {
    if (!isDirector(host) && !isRealServer(host))
      return { changes: [], skipped: "neither director nor real server" };
    const lvs = lvsOf(inventory);
    const vips = [...new Set(lvs.services.map((s) => s.vip))];
    const checks: CheckResult[] = [];
    const net = facts.get(factRequest(networkFact));

    if (isRealServer(host)) {
      const live = facts.get(factRequest(sysctlFact, ...Object.keys(DR_SYSCTLS)));
      const wrong = Object.entries(DR_SYSCTLS).filter(([k, v]) => live[k] !== v);
      checks.push(
        wrong.length === 0
          ? pass("DR sysctls", "arp_ignore=1 arp_announce=2 on all and lo")
          : fail("DR sysctls", wrong.map(([k, v]) => `${k}=${live[k] ?? "missing"} (want ${v})`).join(", ")),
      );
      const lo = new Set(net.interfaces.find((i) => i.name === "lo")?.ipv4 ?? []);
      const missing = vips.filter((v) => !lo.has(`${v}/32`));
      checks.push(
        missing.length === 0
          ? pass("VIP on lo", vips.join(", "))
          : fail("VIP on lo", `missing ${missing.join(", ")}`),
      );
    }
    if (!isDirector(host)) return { changes: [], checks };

    const marks = data.get(MARK_PLAN, host.name);
    const mangleSave = facts.get(factRequest(iptablesFact)).mangle;
    let live: Pick<MarkVerification, "chainRules" | "peerSets"> = {
      chainRules: parseMangle(mangleSave).chainRules,
      peerSets: {},
    };
    if (!marks)
      checks.push(fail("mark rules", "no desired rules (the marks stage did not run for this host)"));
    else {
      const bf = backendFacts(facts);
      const backend = resolveBackend(lvs, bf);
      const nftPaths = bf.os.family === "rhel" ? NFT_PERSIST_PATHS.rhel : NFT_PERSIST_PATHS.debian;
      const savePath = backend === "rules.v4" || backend === "sysconfig" ? SAVE_FILE[backend] : undefined;
      const verified = verifyMarks(
        backend,
        bf,
        marks,
        markRuleSpecs(lvs.services, marks.marks),
        mangleSave,
        {
          saved: savePath === undefined ? undefined : facts.get(factRequest(fileFact, savePath)),
          nftOurs: facts.get(factRequest(fileFact, nftPaths.ours)),
          nftConf: facts.get(factRequest(fileFact, nftPaths.conf)),
        },
        nftPaths,
        savePath,
      );
      checks.push(...verified.checks);
      live = verified;
    }

    const svc = facts.get(factRequest(serviceFact, "keepalived"));
    checks.push(
      svc.running ? pass("keepalived running", svc.manager) : fail("keepalived running", "not running"),
    );
    const drainFile = drainFilePresent(inventory, facts);
    if (drainFile !== undefined) checks.push(drainCheck(drainFile));
    checks.push(
      keepalivedConfigCheck(
        host.name,
        inventory,
        data,
        facts.get(keepalivedConfigRequest(inventory)),
        mangleSave,
      ),
    );

    const ipvs = facts.get(factRequest(ipvsFact));
    if (ipvs.available) {
      const want = ipvsSysctls(lvs);
      const vs = facts.get(factRequest(sysctlFact, ...Object.keys(want)));
      const wrong = Object.entries(want).filter(([k, v]) => !sameSysctlValue(vs[k], v));
      checks.push(
        wrong.length === 0
          ? pass(
              "IPVS sysctls",
              Object.entries(want)
                .map(([k, v]) => `${k.replace("net.ipv4.vs.", "")}=${v}`)
                .join(", "),
            )
          : fail("IPVS sysctls", wrong.map(([k, v]) => `${k}=${vs[k] ?? "(missing)"}, want ${v}`).join("; ")),
      );
    }
    if (!ipvs.available || lvs.vrrpOnly) {
      checks.push(
        skip(
          "IPVS services",
          lvs.vrrpOnly ? `${IPVS_UNAVAILABLE} (lab concession vrrp_only)` : IPVS_UNAVAILABLE,
        ),
      );
    } else if (marks) {
      const { directors } = discoveredDirectors(inventory, data);
      const expected = resolveRealServers(inventory, directors)
        .map((r) => r.address)
        .sort();
      const problems: string[] = [];
      for (const [service, mark] of Object.entries(marks.marks)) {
        const live = ipvs.services.find((s) => s.kind === "fwmark" && s.mark === mark);
        if (!live) problems.push(`FWM ${mark} (${service}) missing`);
        else {
          const have = live.realServers.map((r) => r.address).sort();
          // keepalived removes real servers whose health check fails: report, do not hide.
          const absent = expected.filter((a) => !have.includes(a));
          if (absent.length > 0) problems.push(`FWM ${mark} (${service}) lacks ${absent.join(", ")}`);
        }
      }
      const vipPort = ipvs.services.filter((s) => s.kind === "vip" && vips.includes(s.vip));
      if (vipPort.length > 0)
        problems.push(
          `VIP:port services present (loop risk): ${vipPort.map((s) => (s.kind === "vip" ? `${s.vip}:${s.port}` : "")).join(", ")}`,
        );
      checks.push(
        problems.length === 0
          ? pass(
              "IPVS services",
              `FWM ${Object.values(marks.marks).join(", ")} with ${expected.length} real servers`,
            )
          : fail("IPVS services", problems.join("; ")),
      );
    }

    const dataIface = data.get(DATA_PLANE, host.name)?.interface;
    const settleIface = dataIface ?? host.interface;
    const settled = new Map(
      settleIface === undefined
        ? []
        : vips.map((v) => [v, facts.get(settleRequest(inventory, v, settleIface))]),
    );
    // Who holds the VIP: as seen when VRRP had settled (the network fact may
    // have been read before that, ahead of the verify stage).
    const held = vips.filter(
      (v) =>
        settled.get(v)?.held ??
        net.interfaces.some((i) => i.name === dataIface && i.ipv4.includes(`${v}/32`)),
    );
    if (lvs.connectionSync && ipvs.available && !lvs.vrrpOnly)
      checks.push(syncDaemonCheck(ipvs, held.length > 0, lvs.connectionSyncMaxlen));
    const uptimes = [...settled.values()]
      .map((s) => s.keepalivedUptimeSec)
      .filter((u): u is number => u !== null);
    const observation: DirectorObservation = {
      vipsHeld: held,
      keepalivedUptimeSec: uptimes.length > 0 ? Math.min(...uptimes) : null,
      chainRules: [...live.chainRules],
      peerSets: live.peerSets,
      ipvs,
    };
    return { changes: [], checks, produce: [OBSERVATION.value(observation)] };
  },
};
