// firewall-cmd on a slow host. firewall-cmd (python3-dbus, no timeout argument)
// waits libdbus's default 25 s for each of firewalld's answers; a firewalld that
// takes longer (a --reload in an emulated guest on a busy machine, measured at
// 35-50 s) completes the call anyway, but firewall-cmd has already failed with
// "Did not receive a reply" (exit 254) and the run stops there. On a host with
// timeout_scale N, firewall-cmd runs with that reply limit × N, through a small
// Python prologue that sets dbus-python's per-call timeout and then runs the
// host's own firewall-cmd unchanged. At scale 1 the limit is firewall-cmd's own,
// so the command is plain firewall-cmd. Only where firewall-cmd still runs:
// hosts whose firewalld fact was read by the Python probe (no usable busctl)
// and direct rules; changes made with busctl wait up to an hour (firewalld-dbus.ts).

/** libdbus's default reply limit, the one firewall-cmd waits for every firewalld answer. */
export const FIREWALL_CMD_REPLY_SEC = 25;

// The prologue: argv[1] the reply limit in seconds, argv[2] firewall-cmd's path, the rest its arguments.
const PROLOGUE = [
  "import runpy, sys",
  "import dbus.proxies",
  "limit = float(sys.argv[1])",
  "call = dbus.proxies._ProxyMethod.__call__",
  "def patient(self, *args, **kwargs):",
  '    kwargs.setdefault("timeout", limit)',
  "    return call(self, *args, **kwargs)",
  "dbus.proxies._ProxyMethod.__call__ = patient",
  "sys.argv = sys.argv[2:]",
  'runpy.run_path(sys.argv[0], run_name="__main__")',
].join("\n");

// $1 the reply limit, $2 the prologue, the rest firewall-cmd's arguments. The
// prologue runs under firewall-cmd's own interpreter (its #! line, e.g.
// "/usr/bin/python3 -s"): the python3 first in PATH may lack the dbus module.
const PATIENT_FIREWALL_CMD = [
  'fc=$(command -v firewall-cmd) || { echo "firewall-cmd: command not found" >&2; exit 127; }',
  'IFS= read -r line < "$fc"; case $line in "#!"*) ;; *) echo "$fc: not a script" >&2; exit 126;; esac',
  "limit=$1; prologue=$2; shift 2",
  // Unquoted on purpose: the #! line's interpreter and its options are separate words.
  // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion
  'exec ${line#"#!"} -c "$prologue" "$limit" "$fc" "$@"',
].join("\n");

/** `firewall-cmd ARGS…` as run on a host of this timeout_scale (see above). */
export function firewallCmdArgv(argv: readonly string[], timeoutScale: number): string[] {
  if (argv[0] !== "firewall-cmd") throw new Error(`not a firewall-cmd command: ${argv.join(" ")}`);
  if (timeoutScale <= 1) return [...argv];
  return [
    "sh",
    "-c",
    PATIENT_FIREWALL_CMD,
    "lvsplay-firewall-cmd",
    String(FIREWALL_CMD_REPLY_SEC * timeoutScale),
    PROLOGUE,
    ...argv.slice(1),
  ];
}
