// `lvsplay audit --print-systemd-units`: prints a systemd service + timer (and
// a cron alternative) that run this audit on the control node. Validates the
// inventory first — scheduling an audit that can never run helps nobody — and
// contacts no host.
import path from "node:path";
import { renderCron, renderUnits, SERVICE_UNIT, TIMER_UNIT } from "../../audit/schedule.js";
import { renderWatchUnit, WATCH_SERVICE_UNIT } from "../../audit/watch-unit.js";
import { DEFAULT_FORKS } from "../defaults.js";
import { ExitCode as Codes, type ExitCode } from "../exit-codes.js";
import { resolveLimit } from "../limit.js";
import { loadInputs, sshConfigChoice } from "../load-inputs.js";
import { AuditUsageError, checkPromFile } from "./audit.js";

export interface ScheduleFlags {
  /** -F: ssh_config file, or "none". */
  readonly sshConfig?: string;
  readonly playbook?: string;
  readonly promFile?: string;
  readonly interval: string;
  readonly limit?: string;
  readonly forks?: number;
  readonly acceptNewHostKeys?: boolean;
  /** The watch service instead of the timer. */
  readonly watch?: boolean;
  readonly listen?: string;
}

export async function scheduleCommand(inventoryFile: string, flags: ScheduleFlags): Promise<ExitCode> {
  // A timer must not trust whatever key a host shows on each run.
  if (flags.acceptNewHostKeys)
    throw new AuditUsageError(
      "--accept-new-host-keys is not for scheduled audits: record the keys once with a manual run",
    );
  if (flags.promFile !== undefined) checkPromFile(flags.promFile, { exists: false });
  const { inventory } = await loadInputs(inventoryFile, {
    playbook: flags.playbook,
    sshConfig: sshConfigChoice(flags.sshConfig),
  });
  // The printed units run this --limit forever: it must select hosts now (and,
  // checked against its character set there, cannot smuggle a line into cron).
  resolveLimit(inventory, flags.limit);
  const launcher = process.argv[1];
  if (!launcher) throw new AuditUsageError("cannot tell where the lvsplay launcher is");
  const opts = {
    lvsplayBin: path.resolve(launcher),
    inventory: path.resolve(inventoryFile),
    interval: flags.interval,
    ...(flags.promFile !== undefined ? { promFile: path.resolve(flags.promFile) } : {}),
    ...(flags.playbook !== undefined ? { playbook: path.resolve(flags.playbook) } : {}),
    extraArgs: [
      ...(flags.limit !== undefined ? ["--limit", flags.limit] : []),
      ...(flags.forks !== undefined && flags.forks !== DEFAULT_FORKS ? ["--forks", String(flags.forks)] : []),
    ],
  };
  if (flags.watch) {
    let unit: string;
    try {
      unit = renderWatchUnit({ ...opts, ...(flags.listen !== undefined ? { listen: flags.listen } : {}) });
    } catch (error) {
      throw new AuditUsageError((error as Error).message);
    }
    process.stdout.write(`### /etc/systemd/system/${WATCH_SERVICE_UNIT}\n${unit}`);
    return Codes.ok;
  }
  let units: { service: string; timer: string };
  try {
    units = renderUnits(opts);
  } catch (error) {
    throw new AuditUsageError((error as Error).message);
  }
  const out = [
    `### /etc/systemd/system/${SERVICE_UNIT}`,
    units.service,
    `### /etc/systemd/system/${TIMER_UNIT}`,
    units.timer,
  ];
  try {
    out.push("### or, without systemd: /etc/cron.d/lvsplay-audit", renderCron(opts));
  } catch (error) {
    out.push(`### no cron alternative: ${(error as Error).message}`);
  }
  process.stdout.write(`${out.join("\n")}\n`);
  return Codes.ok;
}
