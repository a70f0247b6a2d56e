// firewalld state and its direct rules (runtime and permanent), used by the
// firewalld persistence back-end.
import type { Fact } from "../engine/types.js";
import { FIREWALLD_PEER_SET } from "../lvs/marks/spec.js";
import { BUSCTL_PROBE, busctlToProbeText } from "./firewalld-busctl.js";

export interface FirewalldFact {
  readonly installed: boolean;
  readonly running: boolean;
  /** `firewall-cmd --direct --get-all-chains/rules` lines (runtime). */
  readonly runtimeChains: readonly string[];
  readonly runtimeRules: readonly string[];
  /** The same with --permanent. */
  readonly permanentChains: readonly string[];
  readonly permanentRules: readonly string[];
  /** Default zone's allowed protocols and ports (runtime, permanent), e.g. "vrrp", "80/tcp". */
  readonly runtimeOpen: readonly string[];
  readonly permanentOpen: readonly string[];
  /** Zones that interfaces are bound to explicitly (runtime view), with what they allow. */
  readonly zones: readonly FirewalldZone[];
  /** firewalld's version, e.g. "1.3.3" ("" when not running). */
  readonly version: string;
  /** FirewallBackend: nftables (firewalld ≥ 0.6 default) or iptables. */
  readonly backend: "nftables" | "iptables" | "unknown";
  /** ipset types firewalld accepts (its IPSetTypes property). */
  readonly ipsetTypes: readonly string[];
  /** The default zone's name. */
  readonly defaultZone: string;
  /** Rich rules per zone read (the default zone and zones with interfaces), runtime and permanent. */
  readonly richRules: readonly FirewalldZoneRules[];
  /** lvsplay's ipset (lvs_mark_list) in the runtime and the permanent configuration; null = absent. */
  readonly peerSet: {
    readonly runtime: FirewalldIpset | null;
    readonly permanent: FirewalldIpset | null;
  };
  /** Read over D-Bus with busctl: changes are made with busctl too (no firewall-cmd Python start-ups). */
  readonly busctl: boolean;
}

export interface FirewalldZoneRules {
  readonly zone: string;
  readonly runtime: readonly string[];
  readonly permanent: readonly string[];
}

export interface FirewalldIpset {
  readonly type: string;
  readonly entries: readonly string[];
}

export interface FirewalldZone {
  readonly name: string;
  readonly interfaces: readonly string[];
  readonly runtimeOpen: readonly string[];
  readonly permanentOpen: readonly string[];
}

const words = (text: string | undefined): string[] => (text ?? "").split(/\s+/).filter(Boolean);

function parseZones(stdout: string): FirewalldZone[] {
  return section(stdout, "zones")
    .filter((l) => l.includes("\t"))
    .map((line) => {
      const [name = "", ifaces, runtime, permanent] = line.split("\t");
      return {
        name,
        interfaces: (ifaces ?? "").split(",").filter(Boolean),
        runtimeOpen: words(runtime),
        permanentOpen: words(permanent),
      };
    });
}

// One Python process asks firewalld over D-Bus for everything, printed exactly
// as firewall-cmd prints it (joinArgs quoting). Nine firewall-cmd calls cost
// nine Python starts: ~1 s on a real host, ~50 s under emulation.
const PROBE_PY = String.raw`import sys
try:
    from firewall.client import FirewallClient
    from firewall.functions import joinArgs
except Exception:
    print("state=missing")
    sys.exit(0)
try:
    fw = FirewallClient()
    running = fw.connected and fw.get_property("state") == "RUNNING"
except Exception:
    running = False
if not running:
    print("state=stopped")
    sys.exit(0)
print("state=running")
def rules(rs):
    return ["%s %s %s %d %s" % (ipv, table, chain, prio, joinArgs(args)) for (ipv, table, chain, prio, args) in rs]
def chains(cs):
    return ["%s %s %s" % c for c in cs]
cfg = fw.config()
perm = cfg.direct().getSettings()
zone = fw.getDefaultZone()
rz = fw.getZoneSettings(zone)
pz = cfg.getZoneByName(zone).getSettings()
ports = lambda z: ["%s/%s" % (p, proto) for (p, proto) in z.getPorts()]
sections = [
    ("rc", chains(fw.getAllChains())),
    ("rr", rules(fw.getAllRules())),
    ("pc", chains(perm.getAllChains())),
    ("pr", rules(perm.getAllRules())),
    ("ro", [" ".join(rz.getProtocols()), " ".join(ports(rz))]),
    ("po", [" ".join(pz.getProtocols()), " ".join(ports(pz))]),
]
for key, lines in sections:
    print("--%s--" % key)
    for l in lines:
        print(l)
# Zones with interfaces bound to them (the default zone takes all others).
print("--zones--")
for name, info in sorted(fw.getActiveZones().items()):
    ifaces = info.get("interfaces", [])
    if not ifaces:
        continue
    r = fw.getZoneSettings(name)
    p = cfg.getZoneByName(name).getSettings()
    print("\t".join([name, ",".join(ifaces), " ".join(r.getProtocols() + ports(r)), " ".join(p.getProtocols() + ports(p))]))
def prop(obj, name):
    try:
        return obj.get_property(name)
    except Exception:
        return None
print("--meta--")
print("version=%s" % (prop(fw, "version") or ""))
print("backend=%s" % (prop(cfg, "FirewallBackend") or "unknown"))
print("ipsettypes=%s" % " ".join(prop(fw, "IPSetTypes") or []))
print("default=%s" % zone)
print("--rich--")
read = [zone] + [n for n, i in sorted(fw.getActiveZones().items()) if i.get("interfaces") and n != zone]
for name in read:
    for r in fw.getZoneSettings(name).getRichRules():
        print("%s\truntime\t%s" % (name, r))
    for r in cfg.getZoneByName(name).getSettings().getRichRules():
        print("%s\tpermanent\t%s" % (name, r))
print("--ipset--")
SET = sys.argv[1]
if SET in fw.getIPSets():
    s = fw.getIPSetSettings(SET)
    print("runtime\t%s\t%s" % (s.getType(), " ".join(s.getEntries())))
if SET in cfg.getIPSetNames():
    s = cfg.getIPSetByName(SET).getSettings()
    print("permanent\t%s\t%s" % (s.getType(), " ".join(s.getEntries())))
`;
// Python costs 50–250 ms to start: ask it only when a firewalld process exists
// (its comm is "firewalld" however it was started). Without pgrep, always ask.
const NOT_RUNNING = "command -v pgrep >/dev/null 2>&1 && ! pgrep -x firewalld >/dev/null 2>&1";
// busctl first (no Python); the Python probe when busctl is missing or fails.
const PROBE = `${BUSCTL_PROBE}
if ! command -v firewall-cmd >/dev/null 2>&1; then echo state=missing
elif ${NOT_RUNNING}; then echo state=stopped
elif command -v busctl >/dev/null 2>&1 && out=$(fw_busctl "$2"); then printf '%s\\n' "$out"
else exec python3 -c "$1" "$2"; fi`;

const section = (text: string, mark: string): string[] => {
  const at = text.indexOf(`--${mark}--\n`);
  if (at < 0) return [];
  const rest = text.slice(at + mark.length + 5);
  const end = rest.search(/^--(rc|rr|pc|pr|ro|po|zones|meta|rich|ipset)--$/m);
  return (end < 0 ? rest : rest.slice(0, end))
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
};

function parseRich(stdout: string): FirewalldZoneRules[] {
  const byZone = new Map<string, { runtime: string[]; permanent: string[] }>();
  for (const line of section(stdout, "rich")) {
    const [zone = "", where, ...rest] = line.split("\t");
    const z = byZone.get(zone) ?? { runtime: [], permanent: [] };
    if (where === "runtime" || where === "permanent") z[where].push(rest.join("\t"));
    byZone.set(zone, z);
  }
  return [...byZone.entries()].map(([zone, r]) => ({ zone, ...r }));
}

function parseIpset(stdout: string, where: "runtime" | "permanent"): FirewalldIpset | null {
  const line = section(stdout, "ipset").find((l) => l.startsWith(`${where}\t`));
  if (line === undefined) return null;
  const [, type = "", entries = ""] = line.split("\t");
  return { type, entries: words(entries).map((e) => e.toLowerCase()) };
}

export function parseFirewalld(stdout: string, via: "busctl" | "python" = "python"): FirewalldFact {
  const state = /^state=(\w+)$/m.exec(stdout)?.[1];
  const meta = (k: string) =>
    section(stdout, "meta")
      .find((l) => l.startsWith(`${k}=`))
      ?.slice(k.length + 1) ?? "";
  const backend = meta("backend");
  return {
    installed: state !== "missing" && state !== undefined,
    running: state === "running",
    runtimeChains: section(stdout, "rc"),
    runtimeRules: section(stdout, "rr"),
    permanentChains: section(stdout, "pc"),
    permanentRules: section(stdout, "pr"),
    runtimeOpen: section(stdout, "ro").flatMap((l) => l.split(/\s+/)),
    permanentOpen: section(stdout, "po").flatMap((l) => l.split(/\s+/)),
    zones: parseZones(stdout),
    version: meta("version"),
    backend: backend === "nftables" || backend === "iptables" ? backend : "unknown",
    ipsetTypes: words(meta("ipsettypes")),
    defaultZone: meta("default"),
    richRules: parseRich(stdout),
    peerSet: { runtime: parseIpset(stdout, "runtime"), permanent: parseIpset(stdout, "permanent") },
    busctl: via === "busctl" && state === "running",
  };
}

export const firewalldFact: Fact<FirewalldFact> = {
  name: "firewalld",
  command: () => ({
    argv: ["sh", "-c", PROBE, "lvsplay-fact", PROBE_PY, FIREWALLD_PEER_SET],
    timeoutSec: 60,
  }),
  parse: (r) => {
    const busctl = /^format=busctl$/m.test(r.stdout);
    const text = busctl ? busctlToProbeText(r.stdout) : r.stdout;
    const fact = parseFirewalld(text, busctl ? "busctl" : "python");
    // A D-Bus error half-way would otherwise read as "running, no rules": every run would re-add them.
    const complete = ["rc", "rr", "pc", "pr", "ro", "po", "meta", "rich", "ipset"].every((k) =>
      text.includes(`--${k}--\n`),
    );
    if (fact.running && (r.code !== 0 || !complete)) {
      throw new Error(`firewalld query failed (exit ${r.code}): ${r.stderr.trim().split("\n").pop() ?? ""}`);
    }
    return fact;
  },
};
