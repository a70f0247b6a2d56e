// firewalld's state over D-Bus with busctl (systemd's D-Bus client, JSON
// output): ~12 small calls instead of starting Python, the slowest fact of a
// run on a firewalld host (~130 ms of CPU, on every host of every run). The
// answers are turned into exactly the text the Python probe prints, so one
// parser serves both; without busctl, or when a call fails (e.g. a firewalld
// older than getZoneSettings2), the Python probe runs instead.
import { shlexQuote } from "../lvs/marks/firewalld.js";

/**
 * Shell function printing `KEY<TAB>JSON` lines; non-zero when a call failed
 * (the caller then asks Python). Zone names are taken from the JSON with
 * parameter expansion and one grep: no parsing tool needed on the host.
 */
export const BUSCTL_PROBE = [
  "fw_busctl() {",
  "  S=org.fedoraproject.FirewallD1; P=/org/fedoraproject/FirewallD1",
  '  b() { busctl --system --json=short "$@" 2>/dev/null; }',
  // Three properties of one interface in one call (one JSON line each): each
  // call costs ~15-25 ms, and this host's read is a run's slowest.
  "  NL='",
  "'",
  "  pr=$(b get-property $S $P $S state version IPSetTypes) || return 1",
  '  case $pr in *"$NL"*"$NL"*) ;; *) return 1 ;; esac',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion
  '  st=${pr%%"$NL"*}; pr=${pr#*"$NL"}; ver=${pr%%"$NL"*}; ty=${pr#*"$NL"}',
  "  case $st in *'\"RUNNING\"'*) ;; *) echo state=stopped; return 0 ;; esac",
  "  rc=$(b call $S $P $S.direct getAllChains) &&",
  "  rr=$(b call $S $P $S.direct getAllRules) &&",
  "  pd=$(b call $S $P/config $S.config.direct getSettings) &&",
  "  dz=$(b call $S $P $S getDefaultZone) &&",
  "  az=$(b call $S $P $S.zone getActiveZones) || return 1",
  // FirewallBackend exists since firewalld 0.6 (before it, iptables was the only back-end).
  '  be=$(b get-property $S $P/config $S.config FirewallBackend) || be=\'{"type":"s","data":"iptables"}\'',
  '  q=$(b call $S $P $S.ipset queryIPSet s "$1") || return 1',
  '  case $q in *true*) rs=$(b call $S $P $S.ipset getIPSetSettings s "$1") || return 1',
  "    printf 'isr\\t%s\\n' \"$rs\" ;; esac",
  "  pn=$(b call $S $P/config $S.config getIPSetNames) || return 1",
  '  case $pn in *"\\"$1\\""*) pp=$(b call $S $P/config $S.config getIPSetByName s "$1") || return 1',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion
  "    q=${pp#*'\"data\":[\"'}; q=${q%%'\"'*}",
  '    ps=$(b call $S "$q" $S.config.ipset getSettings) || return 1',
  "    printf 'isp\\t%s\\n' \"$ps\" ;; esac",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion
  "  d=${dz#*'\"data\":[\"'}; d=${d%%'\"'*}",
  '  printf \'state=running\\nformat=busctl\\nrc\\t%s\\nrr\\t%s\\npd\\t%s\\ndefault\\t%s\\naz\\t%s\\nver\\t%s\\nty\\t%s\\nbe\\t%s\\n\' "$rc" "$rr" "$pd" "$d" "$az" "$ver" "$ty" "$be"',
  '  seen=" "',
  '  for n in "\\"$d\\":" $(printf \'%s\\n\' "$az" | grep -o \'"[A-Za-z0-9_.-]*":{"[a-z]*":\'); do',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion
  "    z=${n#'\"'}; z=${z%%'\"'*}",
  '    case $seen in *" $z "*) continue ;; esac',
  '    seen="$seen$z "',
  '    zr=$(b call $S $P $S.zone getZoneSettings2 s "$z") &&',
  '    zp=$(b call $S $P/config $S.config getZoneByName s "$z") || return 1',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion
  "    p=${zp#*'\"data\":[\"'}; p=${p%%'\"'*}",
  '    zs=$(b call $S "$p" $S.config.zone getSettings2) || return 1',
  '    printf \'zr\\t%s\\t%s\\nzp\\t%s\\t%s\\n\' "$z" "$zr" "$z" "$zs"',
  "  done",
  "}",
].join("\n");

type Chain = [string, string, string];
type Rule = [string, string, string, number, string[]];
type Variant<T> = { readonly type: string; readonly data: T };
type ZoneSettings = Readonly<Record<string, Variant<unknown> | undefined>>;

/** The `data` of a busctl JSON answer (its first and only return value). */
function answer<T>(json: string | undefined, what: string): T {
  if (json === undefined) throw new Error(`busctl answer for ${what} missing`);
  const parsed = JSON.parse(json) as { data: unknown };
  return (Array.isArray(parsed.data) ? parsed.data[0] : parsed.data) as T;
}

/** The value of a busctl get-property answer (not wrapped in a list of return values). */
function property(json: string | undefined, what: string): unknown {
  if (json === undefined) throw new Error(`busctl answer for ${what} missing`);
  return (JSON.parse(json) as { data: unknown }).data;
}

/** Protocols, then "port/proto", as the Python probe lists what a zone allows. */
function allowed(settings: ZoneSettings | undefined): { protocols: string[]; ports: string[] } {
  const protocols = (settings?.["protocols"]?.data as string[] | undefined) ?? [];
  const ports = ((settings?.["ports"]?.data as [string, string][] | undefined) ?? []).map(
    ([p, proto]) => `${p}/${proto}`,
  );
  return { protocols, ports };
}

/** (version, short, description, type, options, entries), as getIPSetSettings / getSettings answer. */
type IpsetSettings = [string, string, string, string, Record<string, string>, string[]];

const richOf = (settings: ZoneSettings | undefined): string[] =>
  (settings?.["rules_str"]?.data as string[] | undefined) ?? [];

const chainLine = (c: Chain) => c.join(" ");
const ruleLine = ([ipv, table, chain, prio, args]: Rule) =>
  `${ipv} ${table} ${chain} ${prio} ${args.map(shlexQuote).join(" ")}`;

/** busctl probe output → the Python probe's text (sections --rc-- … --zones--). */
export function busctlToProbeText(stdout: string): string {
  const fields = new Map<string, string>();
  const zones = new Map<string, { runtime?: ZoneSettings; permanent?: ZoneSettings }>();
  for (const line of stdout.split("\n")) {
    const [key = "", a, b] = line.split("\t");
    if ((key === "zr" || key === "zp") && a !== undefined && b !== undefined) {
      const z = zones.get(a) ?? {};
      z[key === "zr" ? "runtime" : "permanent"] = answer<ZoneSettings>(b, `zone ${a}`);
      zones.set(a, z);
    } else if (a !== undefined) fields.set(key, a);
  }
  const [permChains, permRules] = answer<[Chain[], Rule[]]>(fields.get("pd"), "permanent direct settings");
  const defaultZone = fields.get("default") ?? "";
  const active = answer<Record<string, { interfaces?: string[] }>>(fields.get("az"), "active zones");
  const runtime = allowed(zones.get(defaultZone)?.runtime);
  const permanent = allowed(zones.get(defaultZone)?.permanent);
  const bound = Object.entries(active)
    .filter(([, info]) => (info.interfaces ?? []).length > 0)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, info]) => {
      const r = allowed(zones.get(name)?.runtime);
      const p = allowed(zones.get(name)?.permanent);
      return [
        name,
        (info.interfaces ?? []).join(","),
        [...r.protocols, ...r.ports].join(" "),
        [...p.protocols, ...p.ports].join(" "),
      ].join("\t");
    });
  const rich = [defaultZone, ...bound.map((line) => line.split("\t")[0] ?? "")]
    .filter((z, i, all) => z !== "" && all.indexOf(z) === i)
    .flatMap((z) => [
      ...richOf(zones.get(z)?.runtime).map((r) => `${z}\truntime\t${r}`),
      ...richOf(zones.get(z)?.permanent).map((r) => `${z}\tpermanent\t${r}`),
    ]);
  const ipset = (["isr", "isp"] as const).flatMap((k) => {
    const raw = fields.get(k);
    if (raw === undefined) return [];
    const [, , , type, , entries] = answer<IpsetSettings>(raw, "ipset settings");
    return [`${k === "isr" ? "runtime" : "permanent"}\t${type}\t${entries.join(" ")}`];
  });
  return [
    "state=running",
    "--rc--",
    ...answer<Chain[]>(fields.get("rc"), "runtime chains").map(chainLine),
    "--rr--",
    ...answer<Rule[]>(fields.get("rr"), "runtime rules").map(ruleLine),
    "--pc--",
    ...permChains.map(chainLine),
    "--pr--",
    ...permRules.map(ruleLine),
    "--ro--",
    runtime.protocols.join(" "),
    runtime.ports.join(" "),
    "--po--",
    permanent.protocols.join(" "),
    permanent.ports.join(" "),
    "--zones--",
    ...bound,
    "--meta--",
    `version=${String(property(fields.get("ver"), "version"))}`,
    `backend=${String(property(fields.get("be"), "firewall back-end"))}`,
    `ipsettypes=${[property(fields.get("ty"), "ipset types")].flat().map(String).join(" ")}`,
    `default=${defaultZone}`,
    "--rich--",
    ...rich,
    "--ipset--",
    ...ipset,
    "",
  ].join("\n");
}
