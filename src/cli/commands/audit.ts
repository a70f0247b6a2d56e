// `lvsplay audit`: the scheduled drift audit. Plans every stage in check mode
// through transports that refuse anything but fact reads, reports each drifted
// item (text or a stable JSON report), optionally writes a Prometheus textfile,
// and exits 0 clean / 2 drift / 3 a host failed or was unreachable.
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { type AuditOnce, auditOnce } from "../../audit/audit-once.js";
import { writePromFile } from "../../audit/prom.js";
import { renderAuditText } from "../../audit/render-text.js";
import type { EngineEvent } from "../../engine/events.js";
import { UsageError } from "../../errors.js";
import { plainRenderer } from "../../render/plain.js";
import { SshConnector } from "../../transport/ssh.js";
import type { ExitCode } from "../exit-codes.js";
import { resolveLimit } from "../limit.js";
import { loadInputs, sshConfigChoice } from "../load-inputs.js";
import { openRunLog, type RunLogFlags } from "../run-log.js";
import { VERSION } from "../version.js";

export interface AuditFlags extends RunLogFlags {
  /** -F: ssh_config file, or "none". */
  readonly sshConfig?: string;
  readonly playbook?: string;
  readonly limit?: string;
  readonly forks: number;
  readonly json?: boolean;
  readonly diff?: boolean;
  readonly promFile?: string;
  readonly progress?: boolean;
  readonly acceptNewHostKeys?: boolean;
}

/** Problems with the flags themselves: reported before any host is contacted. */
export class AuditUsageError extends UsageError {
  override readonly name = "AuditUsageError";
}

/**
 * The textfile must land where node_exporter reads it: checked before any host
 * is contacted. Units printed for a timer may be installed elsewhere later, so
 * there only the name is checked (`exists: false`).
 */
export function checkPromFile(file: string, opts: { exists: boolean } = { exists: true }): void {
  const dir = path.dirname(path.resolve(file));
  if (opts.exists && (!existsSync(dir) || !statSync(dir).isDirectory()))
    throw new AuditUsageError(`--prom-file ${file}: directory ${dir} does not exist`);
  if (!file.endsWith(".prom"))
    throw new AuditUsageError(
      `--prom-file ${file}: node_exporter's textfile collector only reads *.prom files`,
    );
}

export async function auditCommand(inventoryFile: string, flags: AuditFlags): Promise<ExitCode> {
  if (flags.promFile !== undefined) checkPromFile(flags.promFile);
  const { inventory, playbook, registry } = await loadInputs(inventoryFile, {
    playbook: flags.playbook,
    sshConfig: sshConfigChoice(flags.sshConfig),
  });
  const hosts = resolveLimit(inventory, flags.limit);
  const log = openRunLog(flags, inventory);
  const progress = plainRenderer({ diff: false, write: (text) => process.stderr.write(`${text}\n`) });
  const logged = plainRenderer({ diff: false, write: log.event });
  const ssh = new SshConnector(inventory, {
    acceptNewHostKeys: flags.acceptNewHostKeys ?? false,
    defaultTimeoutSec: 300,
  });
  let audit: AuditOnce;
  try {
    audit = await auditOnce({
      inventory,
      playbook,
      registry,
      connector: log.wrap(ssh),
      hosts: hosts.map((h) => h.name),
      ...(flags.limit !== undefined ? { limit: flags.limit } : {}),
      forks: flags.forks,
      inventoryFile: path.resolve(inventoryFile),
      toolVersion: VERSION,
      // Task-by-task progress only on request: a scheduled audit's output is its report.
      ...(flags.progress || flags.logFile !== undefined
        ? {
            onEvent: (event: EngineEvent) => {
              if (flags.progress) progress(event);
              logged(event);
            },
          }
        : {}),
    });
  } finally {
    await ssh.closeAll();
    log.close();
  }
  const { report } = audit;
  const exitCode = report.exitCode;
  if (flags.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else process.stdout.write(`${renderAuditText(report, { diff: flags.diff ?? true })}\n`);
  if (flags.promFile !== undefined) {
    try {
      writePromFile(flags.promFile, report);
    } catch (error) {
      throw new AuditUsageError(`audit done (exit ${exitCode}) but ${(error as Error).message}`);
    }
  }
  return exitCode;
}
