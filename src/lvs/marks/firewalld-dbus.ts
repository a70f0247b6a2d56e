// firewalld changes over D-Bus with busctl instead of firewall-cmd. Every
// firewall-cmd is a Python start-up (0.3–5 s, the slowest part of a first
// apply on a firewalld host); busctl is a few milliseconds. Where the firewalld
// fact was read with busctl, the firewall-cmd argv lists the planners build are
// carried out by one constant script making the same D-Bus calls firewall-cmd
// makes (firewalld 1.3's firewall-cmd and server/, read for this):
//   runtime    zone.addProtocol/addPort/addRichRule(zone, …, timeout 0),
//              zone.removeRichRule, ipset.addEntry/removeEntry, reload
//   permanent  config.addIPSet(name, ("", "", "", type, {}, [])),
//              config.zone.addProtocol/addPort/addRichRule/removeRichRule,
//              config.ipset.addEntry/removeEntry on the object
//              config.getZoneByName/getIPSetByName return (no --zone: the
//              default zone, as firewall-cmd does).
// One D-Bus call per item: unlike firewall-cmd with several items of one
// option (it exits 0 when any item succeeded and only warns about the others),
// the script stops at the first failing item and exits non-zero with
// firewalld's message. ALREADY_ENABLED / NOT_ENABLED count as done, as in
// firewall-cmd (someone else made the same change since the facts were read).

import { firewallCmdArgv } from "./firewall-cmd.js";

/** The script; positional parameters: CONFIG (runtime|permanent) WHAT NAME ITEM… */
export const FIREWALLD_DBUS_SCRIPT = [
  "S=org.fedoraproject.FirewallD1; P=/org/fedoraproject/FirewallD1",
  "where=$1; what=$2; name=$3; shift 3",
  // busctl's own 25 s default would cut a slow reload short; the command's limit governs.
  'b() { busctl --system --timeout=3600 call "$@"; }',
  "c() {",
  '  out=$(b "$@" 2>&1) && return 0',
  '  case $out in "Call failed: ALREADY_ENABLED:"* | "Call failed: NOT_ENABLED:"*) printf "Warning: %s\\n" "$out" >&2; return 0 ;; esac',
  '  printf "%s\\n" "$out" >&2; return 1',
  "}",
  // A string or object path answer (busctl prints: s "public" / o "/org/…").
  'val() { v=$(b "$@" 2>&1) || { printf "%s\\n" "$v" >&2; return 1; }',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion
  "  v=${v#*'\"'}; v=${v%'\"'}; printf '%s' \"$v\"; }",
  'case "$where/$what" in',
  "  runtime/reload) c $S $P $S reload; exit ;;",
  "  permanent/new-ipset) c $S $P/config $S.config addIPSet 's(ssssa{ss}as)' \"$name\" '' '' '' \"$1\" 0 0; exit ;;",
  '  permanent/*entry) o=$(val $S $P/config $S.config getIPSetByName s "$name") || exit 1 ;;',
  "  permanent/*)",
  '    if [ -z "$name" ]; then name=$(val $S $P $S getDefaultZone) || exit 1; fi',
  '    o=$(val $S $P/config $S.config getZoneByName s "$name") || exit 1 ;;',
  "esac",
  'for i in "$@"; do',
  '  case "$where/$what" in',
  '    runtime/protocol) c $S $P $S.zone addProtocol ssi "$name" "$i" 0 ;;',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion
  '    runtime/port) c $S $P $S.zone addPort sssi "$name" "${i%/*}" "${i#*/}" 0 ;;',
  '    runtime/rich-rule) c $S $P $S.zone addRichRule ssi "$name" "$i" 0 ;;',
  '    runtime/remove-rich-rule) c $S $P $S.zone removeRichRule ss "$name" "$i" ;;',
  '    runtime/entry) c $S $P $S.ipset addEntry ss "$name" "$i" ;;',
  '    runtime/remove-entry) c $S $P $S.ipset removeEntry ss "$name" "$i" ;;',
  '    permanent/protocol) c $S "$o" $S.config.zone addProtocol s "$i" ;;',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion
  '    permanent/port) c $S "$o" $S.config.zone addPort ss "${i%/*}" "${i#*/}" ;;',
  '    permanent/rich-rule) c $S "$o" $S.config.zone addRichRule s "$i" ;;',
  '    permanent/remove-rich-rule) c $S "$o" $S.config.zone removeRichRule s "$i" ;;',
  '    permanent/entry) c $S "$o" $S.config.ipset addEntry s "$i" ;;',
  '    permanent/remove-entry) c $S "$o" $S.config.ipset removeEntry s "$i" ;;',
  '    *) echo "lvsplay: no D-Bus call for firewalld $where $what" >&2; exit 2 ;;',
  "  esac || exit 1",
  "done",
].join("\n");

/** firewall-cmd's item options and the script's name for each. */
const ITEM_OPTIONS: Readonly<Record<string, string>> = {
  "--add-protocol": "protocol",
  "--add-port": "port",
  "--add-rich-rule": "rich-rule",
  "--remove-rich-rule": "remove-rich-rule",
  "--add-entry": "entry",
  "--remove-entry": "remove-entry",
};

/** `--key=value` → [key, value]; [arg, undefined] without "=". */
const split = (arg: string): [string, string | undefined] => {
  const at = arg.indexOf("=");
  return at < 0 ? [arg, undefined] : [arg.slice(0, at), arg.slice(at + 1)];
};

/**
 * The busctl script's argv doing what this firewall-cmd argv does, or null when
 * the argv is not one of the shapes the planners build for the rich-rule
 * back-end and the port openings (direct rules, for example, stay firewall-cmd).
 */
export function firewalldDbusArgv(argv: readonly string[]): string[] | null {
  if (argv[0] !== "firewall-cmd") return null;
  let permanent = false;
  let zone: string | undefined;
  let ipset: string | undefined;
  let newIpset: string | undefined;
  let type: string | undefined;
  let reload = false;
  let what: string | undefined;
  const items: string[] = [];
  for (const arg of argv.slice(1)) {
    const [key, value] = split(arg);
    if (arg === "--permanent") permanent = true;
    else if (arg === "--reload") reload = true;
    else if (value === undefined) return null;
    else if (key === "--zone") zone = value;
    else if (key === "--ipset") ipset = value;
    else if (key === "--new-ipset") newIpset = value;
    else if (key === "--type") type = value;
    else {
      const kind = ITEM_OPTIONS[key];
      if (kind === undefined || (what !== undefined && what !== kind)) return null;
      what = kind;
      items.push(value);
    }
  }
  const run = (where: string, w: string, name: string, rest: readonly string[]) => [
    "sh",
    "-c",
    FIREWALLD_DBUS_SCRIPT,
    "lvsplay-firewalld",
    where,
    w,
    name,
    ...rest,
  ];
  if (reload)
    return !permanent &&
      what === undefined &&
      zone === undefined &&
      ipset === undefined &&
      newIpset === undefined
      ? run("runtime", "reload", "", [])
      : null;
  if (newIpset !== undefined)
    return permanent && type !== undefined && what === undefined && zone === undefined && ipset === undefined
      ? run("permanent", "new-ipset", newIpset, [type])
      : null;
  if (what === undefined || type !== undefined) return null;
  const where = permanent ? "permanent" : "runtime";
  const onIpset = what === "entry" || what === "remove-entry";
  if (onIpset) return ipset !== undefined && zone === undefined ? run(where, what, ipset, items) : null;
  return ipset === undefined ? run(where, what, zone ?? "", items) : null;
}

/**
 * A planned firewall-cmd argv as the change runs it: over D-Bus when busctl
 * read the facts (then `equivalent` is the firewall-cmd argv, what --diff
 * shows; busctl waits up to an hour for firewalld's reply), else firewall-cmd
 * itself, with its D-Bus reply limit × the host's timeout_scale (firewall-cmd.ts).
 */
export function firewalldWrite(
  viaBusctl: boolean,
  argv: readonly string[],
  timeoutScale: number,
): { readonly argv: string[]; readonly equivalent?: readonly string[] } {
  const dbus = viaBusctl ? firewalldDbusArgv(argv) : null;
  return dbus === null
    ? { argv: firewallCmdArgv(argv, timeoutScale) }
    : { argv: dbus, equivalent: [...argv] };
}
