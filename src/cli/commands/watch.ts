// `lvsplay audit --watch`: the continuous drift audit. Runs until SIGTERM or
// SIGINT (exit 0); only problems before the first cycle (inputs, --listen,
// --interval) end it with an error.
import path from "node:path";
import { type ListenAddress, parseListen } from "../../audit/metrics-server.js";
import { parseInterval } from "../../audit/schedule.js";
import { watchAudits } from "../../audit/watch.js";
import { SshConnector } from "../../transport/ssh.js";
import { ExitCode } from "../exit-codes.js";
import { resolveLimit } from "../limit.js";
import { loadInputs, sshConfigChoice } from "../load-inputs.js";
import { VERSION } from "../version.js";
import { AuditUsageError, checkPromFile } from "./audit.js";

export interface WatchFlags {
  readonly sshConfig?: string;
  readonly playbook?: string;
  readonly limit?: string;
  readonly forks: number;
  readonly promFile?: string;
  readonly interval: string;
  readonly listen?: string;
  readonly acceptNewHostKeys?: boolean;
}

export async function watchCommand(inventoryFile: string, flags: WatchFlags): Promise<ExitCode> {
  let intervalSec: number;
  let listen: ListenAddress | undefined;
  try {
    intervalSec = parseInterval(flags.interval);
    listen = flags.listen === undefined ? undefined : parseListen(flags.listen);
  } catch (error) {
    throw new AuditUsageError((error as Error).message);
  }
  if (flags.promFile !== undefined) checkPromFile(flags.promFile);
  const { inventory, playbook, registry } = await loadInputs(inventoryFile, {
    playbook: flags.playbook,
    sshConfig: sshConfigChoice(flags.sshConfig),
  });
  const hosts = resolveLimit(inventory, flags.limit);
  const ssh = new SshConnector(inventory, {
    acceptNewHostKeys: flags.acceptNewHostKeys ?? false,
    defaultTimeoutSec: Math.max(30, intervalSec * 2),
  });
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    process.stderr.write(`${signal}: stopping\n`);
    stop.abort();
  };
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);
  try {
    await watchAudits({
      inventory,
      playbook,
      registry,
      connector: ssh,
      hosts: hosts.map((h) => h.name),
      ...(flags.limit !== undefined ? { limit: flags.limit } : {}),
      forks: flags.forks,
      inventoryFile: path.resolve(inventoryFile),
      toolVersion: VERSION,
      intervalSec,
      ...(flags.promFile !== undefined ? { promFile: flags.promFile } : {}),
      ...(listen ? { listen } : {}),
      log: (line) => process.stdout.write(`${new Date().toISOString()} ${line}\n`),
      signal: stop.signal,
    });
  } catch (error) {
    if (
      (error as NodeJS.ErrnoException).code === "EADDRINUSE" ||
      (error as NodeJS.ErrnoException).code === "EACCES"
    )
      throw new AuditUsageError(`--listen ${flags.listen}: ${(error as Error).message}`);
    throw error;
  } finally {
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
  }
  return ExitCode.ok;
}
