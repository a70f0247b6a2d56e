// The `lvsplay` command line. Every command returns an exit code; the process
// exits in exactly one place (below), with codes from exit-codes.ts.
// First: zod's settings hold only for schemas built after them.
import "../config/zod-settings.js";
import { Command, InvalidArgumentError } from "commander";
import { describeError, ExitCode, UsageError } from "../errors.js";
import { registerLabCommands } from "../lab/cli.js";
import { DEFAULT_FORKS } from "./defaults.js";
import { exitCode, setExitCode } from "./exit-status.js";
import { inventoryArg } from "./inventory-arg.js";
import { VERSION } from "./version.js";

// Command implementations load on use: start-up time is paid on every run
// (cron audits, CI), and most commands need a small part of the code.
const commands = {
  apply: () => import("./commands/apply.js"),
  audit: () => import("./commands/audit.js"),
  schedule: () => import("./commands/schedule.js"),
  watch: () => import("./commands/watch.js"),
  facts: () => import("./commands/facts.js"),
  validate: () => import("./commands/validate.js"),
  inventoryImport: () => import("./commands/inventory-import.js"),
  probe: () => import("./commands/probe.js"),
};

/** A flag combination that makes no sense: refused before anything is loaded. */
class AuditFlagError extends UsageError {
  override readonly name = "AuditFlagError";
}

const SSH_CONFIG_HELP =
  'ssh_config to read, like ssh -F ("none": no file; default: the inventory\'s ssh_config:, else ~/.ssh/config and /etc/ssh/ssh_config)';

const positiveInt = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a positive integer");
  return n;
};
/** -v, -vv: each repetition one level more. */
const increase = (_: string, previous: number): number => previous + 1;
const percent = (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 100) throw new InvalidArgumentError("expected 0-100");
  return n;
};

// `lvsplay … | head` closes the pipe early: that is not a crash.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(exitCode());
  throw error;
});
const program = new Command("lvsplay")
  .description("Set up and guard loop-free LVS/IPVS + keepalived on co-located directors, over SSH")
  .version(VERSION)
  .exitOverride();

/** Options of every command that runs commands on hosts over SSH (apply, audit, facts), in this order. */
const sshRunOptions = (cmd: Command): Command =>
  cmd
    .option("--accept-new-host-keys", "trust and record keys of hosts missing from known_hosts")
    .option("-F, --ssh-config <file>", SSH_CONFIG_HELP)
    .option(
      "-v, --verbose",
      "show each command sent to a host (-vv: and its output); secrets redacted",
      increase,
      0,
    )
    .option(
      "--log-file <file>",
      "append this run's progress and the commands sent (as -v, or -vv) to a file",
    );

const runOptions = (cmd: Command): Command =>
  sshRunOptions(
    cmd
      .option("-p, --playbook <file>", "playbook to run (default: the built-in LVS HA playbook)")
      .option("--diff", "show unified diffs for files and before/after for other changes")
      .option(
        "-l, --limit <pattern>",
        "only change these hosts (group, host, glob, a:b, a:&b, a:!b); others are only read for data they need",
      )
      .option(
        "-t, --tags <tags>",
        "only tasks with one of these comma-separated tags (their stage's count; also all, tagged, untagged)",
      )
      .option("--skip-tags <tags>", "leave out tasks with one of these tags")
      .option("--list-hosts", "print the hosts (and batches) the run would touch; contact nothing")
      .option("--list-tasks", "print the tasks the run would run per stage; contact nothing")
      .option("-f, --forks <n>", "hosts in parallel", positiveInt, DEFAULT_FORKS)
      .option("--json", "write one JSON result object to stdout (progress goes to stderr)")
      .option("--plain", "plain lines instead of the live view"),
  ).option(
    "--max-fail-percent <pct>",
    "stop (remaining stages and batches) when more than this % of a batch's hosts failed",
    percent,
    100,
  );

runOptions(program.command("apply").argument("[inventory]", "inventory YAML (default: $LVSPLAY_INVENTORY)"))
  .description("converge hosts to the playbook (use --check for a dry run)")
  .option("-C, --check", "dry run: plan and report, change nothing (exit 2 when changes are pending)")
  .option(
    "--serial <n|p%|auto>",
    "rolling apply: N hosts (or P% of them) per batch, each applied and verified before the next, " +
      "a director holding a VIP handed over to a peer before a disruptive change; auto: directors one at " +
      "a time when one holds a VIP, else all at once (default: all hosts in one batch, no hand-over)",
  )
  .option(
    "--no-drain",
    "with --serial: change a director that holds a VIP in place instead of handing the VIP to a peer " +
      "first (also when no peer could take it: the service is interrupted during the change)",
  )
  .action(async (inventory: string | undefined, flags) => {
    setExitCode(await (await commands.apply()).applyCommand(inventoryArg(inventory), flags));
  });

sshRunOptions(
  program
    .command("audit")
    .argument("[inventory]", "inventory YAML (default: $LVSPLAY_INVENTORY)")
    .description("drift audit, strictly read-only: exit 0 clean, 2 drift, 3 a host failed or was unreachable")
    .option("-p, --playbook <file>", "playbook to audit against (default: the built-in LVS HA playbook)")
    .option("-l, --limit <pattern>", "only these hosts (group, host, glob, a:b, a:&b, a:!b)")
    .option("-f, --forks <n>", "hosts in parallel", positiveInt, DEFAULT_FORKS)
    .option("--json", "print the audit report as JSON (schema: README, `Drift audits`)")
    .option("--no-diff", "leave file diffs out of the text report")
    .option("--prom-file <path>", "write a node_exporter textfile (*.prom) atomically after the audit")
    .option("--progress", "show task-by-task progress on stderr")
    .option("--plain", "no colours (the default when not writing to a terminal)"),
)
  .option(
    "--watch",
    "audit continuously (every --interval) over kept-open connections, one round trip per host per cycle; " +
      "results on /metrics (--listen) and in --prom-file; runs until SIGTERM/SIGINT",
  )
  .option("--listen <[host]:port>", "with --watch: serve Prometheus metrics on /metrics here, e.g. :9808")
  .option(
    "--print-systemd-units",
    "print a systemd service + timer (and a cron line) running this audit, or with --watch the watch service; contact nothing",
  )
  .option(
    "--interval <span>",
    "how often (systemd time span): the timer of --print-systemd-units (default 15min), or --watch's cycle (default 5s)",
  )
  .action(async (given: string | undefined, flags) => {
    const inventory = inventoryArg(given);
    if (flags.listen !== undefined && !flags.watch) throw new AuditFlagError("--listen needs --watch");
    if (flags.watch && !flags.printSystemdUnits && (flags.json || flags.progress))
      throw new AuditFlagError(
        "--watch reports on /metrics and in --prom-file, not with --json or --progress",
      );
    const interval: string = flags.interval ?? (flags.watch ? "5s" : "15min");
    if (flags.printSystemdUnits) {
      setExitCode(await (await commands.schedule()).scheduleCommand(inventory, { ...flags, interval }));
      return;
    }
    if (flags.watch) {
      setExitCode(await (await commands.watch()).watchCommand(inventory, { ...flags, interval }));
      return;
    }
    if (flags.interval !== undefined)
      throw new AuditFlagError("--interval needs --watch or --print-systemd-units");
    // picocolors decides once, when it loads (below, with the audit's modules).
    if (flags.plain) process.env["NO_COLOR"] = "1";
    setExitCode(await (await commands.audit()).auditCommand(inventory, flags));
  });

program
  .command("validate")
  .argument("[inventory]", "inventory YAML (default: $LVSPLAY_INVENTORY)")
  .option("-p, --playbook <file>", "playbook to validate with it")
  .option("-F, --ssh-config <file>", SSH_CONFIG_HELP)
  .description("run every check that needs no host (DNS names are resolved)")
  .action(async (inventory: string | undefined, flags: { playbook?: string; sshConfig?: string }) => {
    setExitCode(await (await commands.validate()).validateCommand(inventoryArg(inventory), flags));
  });

sshRunOptions(
  program
    .command("facts")
    .argument("[inventory]", "inventory YAML (default: $LVSPLAY_INVENTORY)")
    .option("-l, --limit <pattern>", "only these hosts")
    .option("-f, --forks <n>", "hosts in parallel", positiveInt, DEFAULT_FORKS),
)
  .description("print the facts lvsplay gathers from each host (JSON)")
  .action(async (inventory: string | undefined, flags) => {
    setExitCode(await (await commands.facts()).factsCommand(inventoryArg(inventory), flags));
  });

program
  .command("inventory")
  .description("inventory tools")
  .command("import")
  .argument(
    "<ansible-inventory>",
    "Ansible inventory: INI or YAML file, or a folder (group_vars/, host_vars/ beside it)",
  )
  .option(
    "--map <roles>",
    "lvsplay roles from Ansible groups: directors=GROUP,realservers=GROUP,clients=GROUP",
  )
  .description("print an lvsplay inventory made from an Ansible inventory, with comments on what was mapped")
  .action(async (source: string, flags: { map?: string }) => {
    setExitCode((await commands.inventoryImport()).inventoryImportCommand(source, flags));
  });

program
  .command("probe")
  .argument("<url>", "http://VIP[:PORT]/PATH")
  .description(
    "load generator: requests to a VIP at a steady rate; answers per real server, failures, latency (Ctrl-C: stop and print the summary)",
  )
  .option("-n, --requests <n>", "requests to send", "1000")
  .option("-r, --rate <per-second>", "requests started per second (open loop)", "100")
  .option(
    "-c, --concurrency <n>",
    "most requests in flight (keep-alive: the connections kept open, used in turn)",
    "50",
  )
  .option("-k, --keepalive", "reuse connections (default: a new TCP connection per request)")
  .option("-t, --timeout <seconds>", "per request, connect to complete response", "5")
  .option("--server-from <how>", "which server answered: body | header:NAME | body-match:REGEX", "body")
  .option("--max-failures <n>", "exit 0 when at most this many requests failed", "0")
  .option("--json", "print the summary as JSON")
  .option("--records", "with --json: every request and connection too")
  .option("--progress", "a progress line per second on stderr")
  .action(async (url: string, flags) => {
    setExitCode(await (await commands.probe()).probeCommand(url, flags));
  });

registerLabCommands(program);

program
  .command("completion")
  .argument("<shell>", "bash or zsh")
  .description("print a shell completion script: source <(lvsplay completion bash)")
  .action(async (shell: string) => {
    const { completionScript } = await import("./completion.js");
    process.stdout.write(completionScript(program, shell));
  });

// No top-level await: the published bundle is a CommonJS script (V8 can cache
// its compiled code between runs, see scripts/bundle.mjs), and CommonJS has none.
// A command whose promise never settles once nothing is left to wait for (a
// bug) must not pass for success (a top-level await would have exited 13):
// one exit check per process, however often this module is evaluated (the
// hostile-input suite runs every case in one process).
const UNFINISHED = Symbol.for("lvsplay.cli.unfinishedCommands");
const processState = process as NodeJS.Process & { [UNFINISHED]?: { count: number } };
const unfinished = processState[UNFINISHED] ?? { count: 0 };
if (processState[UNFINISHED] === undefined) {
  processState[UNFINISHED] = unfinished;
  process.on("exit", (code) => {
    if (unfinished.count === 0 || code !== 0) return;
    process.stderr.write(
      "lvsplay: internal error: the command stopped before it finished (nothing left to wait for)\n",
    );
    process.exitCode = ExitCode.invalid;
  });
}

async function main(): Promise<void> {
  unfinished.count++;
  try {
    await program.parseAsync(process.argv);
  } catch (error) {
    const described = describeError(error);
    process.stderr.write(described.text);
    setExitCode(described.exitCode);
  }
  process.exitCode = exitCode();
  unfinished.count--;
}

/** Settles when the command has finished and set the exit code (for a caller that imports this module). */
export const done: Promise<void> = main();
