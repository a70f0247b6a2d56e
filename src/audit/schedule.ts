// Scheduling artefacts for running `lvsplay audit` periodically on the control
// node: a systemd service + timer pair (preferred) or an /etc/cron.d entry.
import path from "node:path";
import { quoteArg, shellJoin } from "../transport/quote.js";

export const SERVICE_UNIT = "lvsplay-audit.service";
export const TIMER_UNIT = "lvsplay-audit.timer";
/** cron ignores /etc/cron.d files whose names contain a dot. */
export const CRON_FILE = "lvsplay-audit";

export interface ScheduleOptions {
  readonly lvsplayBin: string;
  readonly inventory: string;
  readonly promFile?: string;
  readonly playbook?: string;
  /** systemd time span, e.g. `15min`, `1h`, `30s`, `1h 30min`. */
  readonly interval: string;
  readonly workingDirectory?: string;
  /** Runs as root when absent (then also the cron user). */
  readonly user?: string;
  /** Further audit options to keep (e.g. --limit, --forks), as argv words. */
  readonly extraArgs?: readonly string[];
}

export interface Schedule {
  readonly service: string;
  readonly timer: string;
  readonly cron: string;
}

// The subset of systemd.time(7) that cron can be compared against (lower case:
// systemd reads `M` as months). A bare number, seconds to systemd, is refused:
// `15` almost always meant minutes.
const SPAN = /^(?:\d+ ?[a-z]+ ?)+$/;
const SPAN_PART = /(\d+) ?([a-z]+)/g;
const UNIT_SECONDS: Readonly<Record<string, number>> = {
  ...Object.fromEntries(["s", "sec", "second", "seconds"].map((u) => [u, 1])),
  ...Object.fromEntries(["m", "min", "minute", "minutes"].map((u) => [u, 60])),
  ...Object.fromEntries(["h", "hr", "hour", "hours"].map((u) => [u, 3600])),
  ...Object.fromEntries(["d", "day", "days"].map((u) => [u, 86400])),
};

/** The interval in seconds; throws a readable error for anything else. */
export function parseInterval(interval: string): number {
  const invalid = () =>
    new Error(
      `invalid interval ${JSON.stringify(interval)}: use a systemd time span such as 15min, 1h or 30s`,
    );
  if (!SPAN.test(interval)) throw invalid();
  let total = 0;
  for (const [, count, unit = ""] of interval.matchAll(SPAN_PART)) {
    const factor = UNIT_SECONDS[unit];
    if (factor === undefined) throw invalid();
    total += Number(count) * factor;
  }
  if (total <= 0) throw invalid();
  return total;
}

/**
 * One word of systemd's ExecStart= syntax: double quotes with `\` and `"`
 * escaped and `%` doubled (specifiers are expanded even inside quotes). `$` is
 * doubled in arguments, where systemd substitutes environment variables, but
 * not in the executable path, which it never substitutes (checked with
 * `systemd-analyze verify`: a doubled `$` there names a different file).
 */
export function systemdQuote(word: string, position: "argument" | "executable" = "argument"): string {
  let escaped = word.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("%", "%%");
  if (position === "argument") escaped = escaped.replaceAll("$", () => "$$");
  return `"${escaped}"`;
}

/** WorkingDirectory= takes the bare path: quotes would become part of it. Specifiers still apply. */
function systemdPath(value: string): string {
  // Unit-file values lose trailing blanks, and a trailing backslash continues the line.
  if (/[\s\\]$/.test(value)) throw new Error(`cannot use ${JSON.stringify(value)} in a unit file`);
  return value.replaceAll("%", "%%");
}

export function checkOptions(opts: ScheduleOptions): void {
  const { lvsplayBin, inventory, promFile, playbook, workingDirectory } = opts;
  const paths = Object.entries({ lvsplayBin, inventory, promFile, playbook, workingDirectory });
  for (const [name, value] of paths) {
    if (value === undefined) continue;
    // A timer or cron job runs with its own working directory, so a relative path would resolve elsewhere.
    if (!path.posix.isAbsolute(value))
      throw new Error(`${name} must be an absolute path, got ${JSON.stringify(value)}`);
    // A newline would end the unit-file line or the crontab entry early.
    if ([...value].some((c) => c < " " || c === "\x7f"))
      throw new Error(`${name} must not contain control characters`);
  }
  // Defence in depth: callers validate flags, but a newline here would add a cron line.
  for (const arg of opts.extraArgs ?? [])
    if ([...arg].some((c) => c < " " || c === "\x7f"))
      throw new Error(`audit option ${JSON.stringify(arg)} must not contain control characters`);
  // systemd refuses such an ExecStart= ("Executable name contains special characters").
  if (/["'\\]/.test(lvsplayBin)) throw new Error("lvsplayBin must not contain quotes or backslashes");
  if (opts.user !== undefined && !/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(opts.user)) {
    throw new Error(`invalid user name ${JSON.stringify(opts.user)}`);
  }
  parseInterval(opts.interval);
}

/**
 * Node's young generation capped at 4 MiB per semi-space (default up to 16):
 * measured on a 100-host no-op apply, peak RSS 117 → 97 MiB and audit 112 →
 * 92 MiB with no measurable change in CPU or wall time (README, Benchmark).
 * Only the command line or NODE_OPTIONS can set it: v8.setFlagsFromString at
 * start-up is too late (measured: no effect). Harmless if lvsplayBin is no
 * Node script.
 */
export const NODE_OPTIONS_LINE = "Environment=NODE_OPTIONS=--max-semi-space-size=4";

function auditArgv(opts: ScheduleOptions): string[] {
  return [
    opts.lvsplayBin,
    "audit",
    opts.inventory,
    "--plain",
    ...(opts.playbook ? ["--playbook", opts.playbook] : []),
    ...(opts.promFile ? ["--prom-file", opts.promFile] : []),
    ...(opts.extraArgs ?? []),
  ];
}

const usesTmp = (opts: ScheduleOptions): boolean =>
  [opts.promFile, opts.inventory, opts.playbook].some((p) => p !== undefined && /^\/(var\/)?tmp\//.test(p));

/** The service and timer units. */
export function renderUnits(opts: ScheduleOptions): { service: string; timer: string } {
  checkOptions(opts);
  const seconds = parseInterval(opts.interval);
  const install = [
    "# Install: copy both files to /etc/systemd/system/, then",
    `#   systemctl daemon-reload && systemctl enable --now ${TIMER_UNIT}`,
    "",
  ];
  const service = [
    `# Generated by lvsplay: runs the drift audit once (started by ${TIMER_UNIT}).`,
    ...install,
    "[Unit]",
    "Description=lvsplay drift audit",
    "Wants=network-online.target",
    "After=network-online.target",
    "",
    "[Service]",
    "Type=oneshot",
    `ExecStart=${auditArgv(opts)
      .map((word, i) => systemdQuote(word, i === 0 ? "executable" : "argument"))
      .join(" ")}`,
    // No SuccessExitStatus=2: drift fails the unit, so `systemctl --failed`, OnFailure=
    // hooks and node_exporter's systemd collector show it until a clean run, even
    // where nobody alerts on the textfile (still the primary, detailed signal).
    "# Exit 2 (drift) and 3 (host failed) fail this unit on purpose: see `systemctl --failed`.",
    ...(opts.user ? [`User=${opts.user}`] : []),
    ...(opts.workingDirectory ? [`WorkingDirectory=${systemdPath(opts.workingDirectory)}`] : []),
    NODE_OPTIONS_LINE,
    "Nice=10",
    // Generous for SSH to many hosts, but a hung run must not block every later one.
    "TimeoutStartSec=10min",
    // Hardening that leaves SSH alone: sudo runs on the remote hosts, and the
    // keys and known_hosts live in ~/.ssh, hence no ProtectHome=.
    "NoNewPrivileges=yes",
    // A private /tmp would hide a prom file or inventory kept in /tmp from everyone else.
    ...(usesTmp(opts) ? [] : ["PrivateTmp=yes"]),
    "",
  ].join("\n");
  const timer = [
    `# Generated by lvsplay: runs ${SERVICE_UNIT} every ${opts.interval}.`,
    ...install,
    "[Unit]",
    "Description=Periodic lvsplay drift audit",
    "",
    "[Timer]",
    // Started later than 5min after boot (enable --now), OnBootSec= elapses at
    // once (systemd.timer(5)), which also starts the OnUnitActiveSec= chain.
    // Persistent= is deliberately absent: it only applies to OnCalendar=.
    "OnBootSec=5min",
    `OnUnitActiveSec=${opts.interval}`,
    // Several control nodes with the same timer should not hit the hosts at once.
    `RandomizedDelaySec=${Math.max(1, Math.min(30, Math.floor(seconds / 10)))}s`,
    "",
    "[Install]",
    "WantedBy=timers.target",
    "",
  ].join("\n");
  return { service, timer };
}

/** The cron.d schedule for the interval; throws when cron has no exact equivalent. */
export function cronSchedule(interval: string): string {
  const seconds = parseInterval(interval);
  const minutes = seconds / 60;
  const hours = minutes / 60;
  if (Number.isInteger(minutes) && minutes < 60 && 60 % minutes === 0) {
    return minutes === 1 ? "* * * * *" : `*/${minutes} * * * *`;
  }
  if (Number.isInteger(hours) && hours <= 24 && 24 % hours === 0) {
    return hours === 24 ? "0 0 * * *" : hours === 1 ? "0 * * * *" : `0 */${hours} * * *`;
  }
  throw new Error(
    `cron cannot run every ${interval} at even spacing (it needs whole minutes dividing 60 or whole hours dividing 24): use the systemd timer instead`,
  );
}

/** The /etc/cron.d file. */
export function renderCron(opts: ScheduleOptions): string {
  checkOptions(opts);
  // cron drops the exit code and the output below; without a textfile nothing would notice drift.
  if (!opts.promFile)
    throw new Error("the cron job needs a prom file (--prom-file): cron records no exit code");
  const command = shellJoin(auditArgv(opts));
  const cd = opts.workingDirectory ? `cd ${quoteArg(opts.workingDirectory)} && ` : "";
  const entry = `${cronSchedule(opts.interval)} ${opts.user ?? "root"} ${cd}${command} >/dev/null 2>&1`;
  // cron turns an unescaped % into a newline, even inside shell quotes; `\%` is
  // its only escape, so a `\` right before a `%` would be ambiguous.
  if (entry.includes("\\%")) throw new Error("the cron job cannot pass a backslash followed by %");
  return [
    "# Generated by lvsplay: the periodic drift audit.",
    `# Install: save as /etc/cron.d/${CRON_FILE} (cron ignores names with a dot). Prefer the systemd timer where there is one.`,
    "# lvsplay's launcher runs `env node`: node must be on this PATH.",
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    `# Output is discarded: the prom file ${opts.promFile} is the signal (alert on it).`,
    entry.replaceAll("%", "\\%"),
    "",
  ].join("\n");
}

/** All three artefacts. Throws when cron cannot express the interval: use renderUnits() alone then. */
export function renderSchedule(opts: ScheduleOptions): Schedule {
  return { ...renderUnits(opts), cron: renderCron(opts) };
}
