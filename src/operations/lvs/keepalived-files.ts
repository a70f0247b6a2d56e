// lvsplay's keepalived file for a director and how it joins the host's own
// configuration (lvs/keepalived/coexist.ts), from the inventory, the produced
// discovery/marks and the host's files. Shared by lvs.keepalived and lvs.verify.

import type { DataReader } from "../../engine/data.js";
import type { FileFact } from "../../facts/file.js";
import type { KeepalivedConfigFact } from "../../facts/keepalived-config.js";
import type { OsFact } from "../../facts/os.js";
import type { Inventory } from "../../inventory/model.js";
import {
  buildKeepalivedConfig,
  type CoexistPlan,
  foreignMarkTargets,
  hooksFor,
  type KeepalivedConfig,
  type OwnConfig,
  parseMangle,
  planCoexistence,
  renderKeepalivedConf,
  resolveRealServers,
  runsScripts,
  VRRP_INSTANCE_NAME,
  vrrpScriptName,
} from "../../lvs/index.js";
import { MARK_PLAN } from "./data-keys.js";
import { configFileOption, DAEMON_OPTIONS } from "./keepalived-mode.js";
import { discoveredDirectors, lvsOf, missingPeersError } from "./shared.js";

export interface KeepalivedFiles {
  readonly cfg: KeepalivedConfig;
  /** lvsplay's file as it must be. */
  readonly own: string;
  readonly coexist: CoexistPlan;
}

/** What lvsplay's file will hold, as far as coexistence goes (marks are not known before the marks stage). */
function ownConfig(
  inventory: Inventory,
  director: string,
  iface: string,
  marks: readonly number[],
): OwnConfig {
  const lvs = lvsOf(inventory);
  const hooks = hooksFor(lvs.vrrp, director);
  return {
    instanceName: VRRP_INSTANCE_NAME,
    vrid: lvs.vrrp.virtualRouterId,
    iface,
    vips: [...new Set(lvs.services.map((s) => s.vip))],
    services: lvs.services.map((s) => ({ vip: s.vip, protocol: s.protocol, ports: s.ports })),
    marks,
    scriptNames: hooks.trackScripts.map((t) => vrrpScriptName(t.name)),
    usesScripts: runsScripts(hooks),
    syncsConnections: lvs.connectionSync,
  };
}

/** keepalived started with -f naming another file than lvs.keepalived.config: lvsplay would edit a file it does not read. */
export function daemonConfigError(
  inventory: Inventory,
  os: OsFact,
  optionsFile: (path: string) => FileFact,
): string | undefined {
  if (os.family === "other") return undefined;
  const main = lvsOf(inventory).keepalived.configPath;
  const { path, variable } = DAEMON_OPTIONS[os.family];
  const file = configFileOption(optionsFile(path).content ?? "", variable);
  return file !== undefined && file !== main
    ? `keepalived runs with -f ${file} (${variable} in ${path}), not ${main}: set lvs.keepalived.config: ${file}`
    : undefined;
}

/**
 * Everything that stops lvsplay's keepalived configuration from joining the
 * host's, checked in the discover stage: a director that cannot take it fails
 * there, before any stage changes anything on any director.
 */
export function coexistenceErrors(
  inventory: Inventory,
  director: string,
  iface: string,
  config: KeepalivedConfigFact,
  mangleSave: string,
): readonly string[] {
  return planCoexistence({
    fact: config,
    adopt: lvsOf(inventory).keepalived.adopt,
    foreignMarkTargets: foreignMarkTargets(parseMangle(mangleSave).foreignMarkRules),
    own: ownConfig(inventory, director, iface, []),
  }).errors;
}

export function keepalivedFiles(
  hostName: string,
  inventory: Inventory,
  data: DataReader,
  config: KeepalivedConfigFact,
  mangleSave: string,
): KeepalivedFiles | { readonly error: string } {
  const lvs = lvsOf(inventory);
  const { directors, missing } = discoveredDirectors(inventory, data);
  if (missing.length > 0) return { error: missingPeersError(missing) };
  const marks = data.get(MARK_PLAN, hostName);
  if (!marks) return { error: "no fwmarks were planned for this host (the marks stage did not succeed)" };
  const realServers = resolveRealServers(inventory, directors);
  const cfg = buildKeepalivedConfig(inventory, hostName, directors, marks.marks, realServers);
  const coexist = planCoexistence({
    fact: config,
    adopt: lvs.keepalived.adopt,
    foreignMarkTargets: foreignMarkTargets(parseMangle(mangleSave).foreignMarkRules),
    own: ownConfig(
      inventory,
      hostName,
      cfg.vrrp.interface,
      cfg.virtualServers.map((v) => v.fwmark),
    ),
  });
  const own = renderKeepalivedConf(cfg, {
    routerId: coexist.renderRouterId,
    scriptSecurity: coexist.renderScriptSecurity,
  });
  return { cfg, own, coexist };
}

/**
 * Validates lvsplay's new file ($3, a temporary file) together with the main
 * file as it is on the host: a copy beside it (relative includes resolve the
 * same) whose `include OWN` line names the new file instead. When that fails
 * and the host's configuration fails `keepalived -t` on its own too, says so.
 */
export const VALIDATE_WITH_MAIN = [
  "main=$1; own=$2; new=$3",
  't=$(mktemp "$(dirname -- "$main")/.lvsplay-check.XXXXXX") || exit 1',
  "trap 'rm -f -- \"$t\"' EXIT",
  'awk -v own="$own" -v new="$new" \'{ l = $0; sub(/^[ \\t]+/, "", l); sub(/[#!].*$/, "", l); sub(/[ \\t]+$/, "", l);' +
    ' sub(/^include[ \\t]+/, "include ", l); if (l == "include " own) print "include " new; else print }\' "$main" > "$t" || exit 1',
  'out=$(keepalived -t -f "$t" 2>&1); rc=$?',
  '[ "$rc" -eq 0 ] && exit 0',
  "printf '%s\\n' \"$out\"",
  'keepalived -t -f "$main" >/dev/null 2>&1 || echo "(the host\'s keepalived configuration fails keepalived -t without this change too)"',
  'exit "$rc"',
].join("\n");

/** Validates a new main file ($1, temporary, beside the real one); names the old file ($2) when that fails too. */
export const VALIDATE_MAIN = [
  'out=$(keepalived -t -f "$1" 2>&1); rc=$?',
  '[ "$rc" -eq 0 ] && exit 0',
  "printf '%s\\n' \"$out\"",
  '[ ! -e "$2" ] || keepalived -t -f "$2" >/dev/null 2>&1 || echo "(the host\'s keepalived configuration fails keepalived -t without this change too)"',
  'exit "$rc"',
].join("\n");
