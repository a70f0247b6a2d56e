// Stage 6 — verify, per host (read-only). Each check is a named result; the
// host's observations are published for the cluster-wide checks that follow.
import { z } from "zod";
import { REMOTE_PATH } from "../../config/charsets.js";
import { inCharset } from "../../config/validators.js";
import { type CheckResult, factRequest, type Operation, type Plan } from "../../engine/types.js";
import { fileFact } from "../../facts/file.js";
import { firewalldFact } from "../../facts/firewalld.js";
import { iptablesFact } from "../../facts/iptables.js";
import { ipvsFact } from "../../facts/ipvs.js";
import { networkFact } from "../../facts/network.js";
import { osFact } from "../../facts/os.js";
import { serviceFact } from "../../facts/service.js";
import { sysctlFact } from "../../facts/sysctl.js";
import { vrrpSettleFact } from "../../facts/vrrp-settle.js";
import {
  firewalldDirectRules,
  parseFirewalldDirectList,
  parseMangle,
  resolveRealServers,
} from "../../lvs/index.js";
import { DATA_PLANE, type DirectorObservation, MARK_PLAN, OBSERVATION } from "./data-keys.js";
import { DR_SYSCTLS } from "./dr-sysctl.js";
import { IPVS_SYSCTLS } from "./ipvs-sysctl.js";
import { keepalivedNeeds, renderFor } from "./keepalived.js";
import { discoveredDirectors, isDirector, isRealServer, lvsOf, resolveBackend, SAVE_FILE } from "./shared.js";

const Args = z.strictObject({
  keepalived_conf: inCharset(REMOTE_PATH).default("/etc/keepalived/keepalived.conf"),
});
type Args = z.infer<typeof Args>;

export type { DirectorObservation } from "./data-keys.js";

const pass = (name: string, detail: string): CheckResult => ({ name, status: "pass", detail });
const fail = (name: string, detail: string): CheckResult => ({ name, status: "fail", detail });
const skip = (name: string, detail: string): CheckResult => ({ name, status: "skip", detail });
export const IPVS_UNAVAILABLE = "IPVS not available on this kernel";

/** VRRP's master-down interval plus skew: after this long a keepalived has had its election. */
export const settleSeconds = (inventory: Parameters<typeof lvsOf>[0]): string =>
  String(3 * lvsOf(inventory).vrrp.advertIntSec + 2);

const directorFacts = (args: Args, inventory: Parameters<typeof lvsOf>[0], iface: string | undefined) => [
  // First in the batch (facts run in order): the network fact below is then read
  // once VRRP had time to elect a master (keepalived may have just been started).
  // Unknown interface (read ahead of discovery): the verify stage reads it.
  ...(iface === undefined
    ? []
    : [...new Set(lvsOf(inventory).services.map((s) => s.vip))].map((vip) =>
        factRequest(vrrpSettleFact, vip, settleSeconds(inventory), iface),
      )),
  factRequest(iptablesFact),
  factRequest(osFact),
  factRequest(firewalldFact),
  factRequest(fileFact, SAVE_FILE["rules.v4"]),
  factRequest(fileFact, SAVE_FILE.sysconfig),
  factRequest(fileFact, args.keepalived_conf),
  factRequest(serviceFact, "keepalived"),
  factRequest(ipvsFact),
  factRequest(sysctlFact, ...Object.keys(IPVS_SYSCTLS)),
];
const realServerFacts = [factRequest(networkFact), factRequest(sysctlFact, ...Object.keys(DR_SYSCTLS))];

export const verifyOperation: Operation<Args> = {
  name: "lvs.verify",
  description: "read-only checks: mark rules, persistence, keepalived, IPVS, DR sysctls, VIP on lo",
  parseArgs: (raw) => Args.parse(raw ?? {}),
  facts: ({ host, args, inventory, data }) => [
    ...(isDirector(host)
      ? // Before discovery ran (facts read ahead), the inventory's interface is the one discovery will find.
        directorFacts(args, inventory, data.get(DATA_PLANE, host.name)?.interface ?? host.interface)
      : []),
    ...(isDirector(host) || isRealServer(host) ? realServerFacts : []),
  ],
  produces: ({ host }) => (isDirector(host) ? [OBSERVATION] : []),
  consumes: ({ host, inventory }) => (isDirector(host) ? keepalivedNeeds(host.name, inventory) : []),
  plan: ({ host, inventory, args, facts, data }): Plan => {
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
    const mangle = parseMangle(facts.get(factRequest(iptablesFact)).mangle);
    if (!marks)
      checks.push(fail("mark rules", "no desired rules (the marks stage did not run for this host)"));
    else {
      const fw = facts.get(factRequest(firewalldFact));
      const backend = resolveBackend(lvs, facts.get(factRequest(osFact)), fw);
      // firewalld's iptables backend jumps from PREROUTING_direct instead of PREROUTING.
      const jumps = mangle.jumpCount + (backend === "firewalld" ? mangle.directJumpCount : 0);
      const ok = jumps === 1 && mangle.chainRules.join("\n") === marks.rules.join("\n");
      checks.push(
        ok
          ? pass("mark rules", `${marks.rules.length} rule(s) excluding the current peer MACs`)
          : fail("mark rules", `live chain differs from desired (jumps: ${jumps})`),
      );
      if (backend === "firewalld") {
        const ours = (lines: readonly string[]) =>
          parseFirewalldDirectList(lines.join("\n"))
            .map((r) => r.join(" "))
            .filter((r) => r.includes("LVSPLAY-MARK"))
            .sort();
        const want = firewalldDirectRules(marks.rules)
          .rules.map((r) => r.join(" "))
          .sort();
        const same = JSON.stringify(ours(fw.permanentRules)) === JSON.stringify(ours(fw.runtimeRules));
        const complete = JSON.stringify(ours(fw.permanentRules)) === JSON.stringify(want);
        checks.push(
          same && complete
            ? pass("persisted = runtime", "firewalld permanent direct rules equal runtime")
            : fail(
                "persisted = runtime",
                same
                  ? "firewalld permanent rules differ from desired"
                  : "firewalld permanent and runtime direct rules differ",
              ),
        );
      } else {
        const saved = facts.get(factRequest(fileFact, SAVE_FILE[backend]));
        const persisted = parseMangle(saved.content ?? "");
        const same =
          persisted.jumpCount === 1 && persisted.chainRules.join("\n") === mangle.chainRules.join("\n");
        checks.push(
          same
            ? pass("persisted = runtime", `${SAVE_FILE[backend]} matches the live chain`)
            : fail(
                "persisted = runtime",
                `${SAVE_FILE[backend]} ${saved.exists ? "differs from" : "is missing; live has"} the live chain`,
              ),
        );
      }
    }

    const svc = facts.get(factRequest(serviceFact, "keepalived"));
    const conf = facts.get(factRequest(fileFact, args.keepalived_conf));
    const rendered = renderFor(host.name, inventory, data);
    checks.push(
      svc.running ? pass("keepalived running", svc.manager) : fail("keepalived running", "not running"),
    );
    checks.push(
      "content" in rendered && conf.content === rendered.content
        ? pass("keepalived.conf", "matches the rendered config")
        : fail("keepalived.conf", "error" in rendered ? rendered.error : "differs from the rendered config"),
    );

    const ipvs = facts.get(factRequest(ipvsFact));
    if (ipvs.available) {
      const vs = facts.get(factRequest(sysctlFact, ...Object.keys(IPVS_SYSCTLS)));
      const wrong = Object.entries(IPVS_SYSCTLS).filter(([k, v]) => vs[k] !== v);
      checks.push(
        wrong.length === 0
          ? pass("IPVS sysctls", "expire_nodest_conn=1")
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
        : vips.map((v) => [
            v,
            facts.get(factRequest(vrrpSettleFact, v, settleSeconds(inventory), settleIface)),
          ]),
    );
    // Who holds the VIP: as seen when VRRP had settled (the network fact may
    // have been read before that, ahead of the verify stage).
    const held = vips.filter(
      (v) =>
        settled.get(v)?.held ??
        net.interfaces.some((i) => i.name === dataIface && i.ipv4.includes(`${v}/32`)),
    );
    const uptimes = [...settled.values()]
      .map((s) => s.keepalivedUptimeSec)
      .filter((u): u is number => u !== null);
    const observation: DirectorObservation = {
      vipsHeld: held,
      keepalivedUptimeSec: uptimes.length > 0 ? Math.min(...uptimes) : null,
      chainRules: mangle.chainRules,
      ipvs,
    };
    return { changes: [], checks, produce: [OBSERVATION.value(observation)] };
  },
};
