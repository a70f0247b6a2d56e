// The `lvsplay` command line. Every command returns an exit code; the process
// exits in exactly one place (below), with codes from exit-codes.ts.
import { Command, InvalidArgumentError } from "commander";
import { ConfigError } from "../config/problem.js";
import { PatternError } from "../inventory/pattern.js";
import { registerLabCommands } from "../lab/cli.js";
import { ExitCode } from "./exit-codes.js";

// Command implementations load on use: start-up time is paid on every run
// (cron audits, CI), and most commands need a small part of the code.
const commands = {
  apply: () => import("./commands/apply.js"),
  facts: () => import("./commands/facts.js"),
  validate: () => import("./commands/validate.js"),
};

const positiveInt = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a positive integer");
  return n;
};
const percent = (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 100) throw new InvalidArgumentError("expected 0-100");
  return n;
};

let exitCode: number = ExitCode.ok;
// `lvsplay … | head` closes the pipe early: that is not a crash.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(exitCode);
  throw error;
});
const program = new Command("lvsplay")
  .description("Set up and guard loop-free LVS/IPVS + keepalived on co-located directors, over SSH")
  .version("0.1.0")
  .exitOverride();

const runOptions = (cmd: Command): Command =>
  cmd
    .option("-p, --playbook <file>", "playbook to run (default: the built-in LVS HA playbook)")
    .option("--diff", "show unified diffs for files and before/after for other changes")
    .option("-l, --limit <pattern>", "only these hosts (group, host, glob, a:b, a:&b, a:!b)")
    .option("-t, --tags <tags>", "only tasks with one of these comma-separated tags")
    .option("-f, --forks <n>", "hosts in parallel", positiveInt, 10)
    .option("--json", "write one JSON result object to stdout (progress goes to stderr)")
    .option("--plain", "plain lines instead of the live view")
    .option("--accept-new-host-keys", "trust and record keys of hosts missing from known_hosts")
    .option("--max-fail-percent <pct>", "abort remaining stages when more hosts failed", percent, 100);

runOptions(program.command("apply").argument("<inventory>", "inventory YAML"))
  .description("converge hosts to the playbook (use --check for a dry run)")
  .option("-C, --check", "dry run: plan and report, change nothing (exit 2 when changes are pending)")
  .action(async (inventory: string, flags) => {
    exitCode = await (await commands.apply()).applyCommand(inventory, flags);
  });

runOptions(program.command("audit").argument("<inventory>", "inventory YAML"))
  .description("drift audit: check mode with diffs; exit 2 when anything would change")
  .action(async (inventory: string, flags) => {
    exitCode = await (await commands.apply()).applyCommand(inventory, {
      ...flags,
      check: true,
      diff: flags.diff ?? true,
    });
  });

program
  .command("validate")
  .argument("<inventory>", "inventory YAML")
  .option("-p, --playbook <file>", "playbook to validate with it")
  .description("run every check that needs no host")
  .action(async (inventory: string, flags: { playbook?: string }) => {
    exitCode = (await commands.validate()).validateCommand(inventory, flags.playbook);
  });

program
  .command("facts")
  .argument("<inventory>", "inventory YAML")
  .option("-l, --limit <pattern>", "only these hosts")
  .option("-f, --forks <n>", "hosts in parallel", positiveInt, 10)
  .option("--accept-new-host-keys", "trust and record keys of hosts missing from known_hosts")
  .description("print the facts lvsplay gathers from each host (JSON)")
  .action(async (inventory: string, flags) => {
    exitCode = await (await commands.facts()).factsCommand(inventory, flags);
  });

registerLabCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  const code = (error as { code?: string }).code;
  if (code === "commander.helpDisplayed" || code === "commander.version" || code === "commander.help")
    exitCode = 0;
  else if (code?.startsWith("commander.")) exitCode = ExitCode.invalid;
  else if (error instanceof PatternError) {
    process.stderr.write(`lvsplay: ${error.message}; nothing was changed.\n`);
    exitCode = ExitCode.invalid;
  } else if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n${error.problems.length} problem(s); nothing was changed.\n`);
    exitCode = ExitCode.invalid;
  } else {
    process.stderr.write(
      `lvsplay: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    exitCode = ExitCode.invalid;
  }
}
process.exitCode = exitCode;
