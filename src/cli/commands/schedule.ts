// `lvsplay audit --print-systemd-units`: prints a systemd service + timer (and
// a cron alternative) that run this audit on the control node. Validates the
// inventory first — scheduling an audit that can never run helps nobody — and
// contacts no host.
import path from "node:path";
import { renderCron, renderUnits, SERVICE_UNIT, TIMER_UNIT } from "../../audit/schedule.js";
import { ExitCode as Codes, type ExitCode } from "../exit-codes.js";
import { loadInputs } from "../load-inputs.js";
import { AuditUsageError } from "./audit.js";

export interface ScheduleFlags {
  readonly playbook?: string;
  readonly promFile?: string;
  readonly interval: string;
}

export function scheduleCommand(inventoryFile: string, flags: ScheduleFlags): ExitCode {
  loadInputs(inventoryFile, flags.playbook);
  const launcher = process.argv[1];
  if (!launcher) throw new AuditUsageError("cannot tell where the lvsplay launcher is");
  const opts = {
    lvsplayBin: path.resolve(launcher),
    inventory: path.resolve(inventoryFile),
    interval: flags.interval,
    ...(flags.promFile !== undefined ? { promFile: path.resolve(flags.promFile) } : {}),
    ...(flags.playbook !== undefined ? { playbook: path.resolve(flags.playbook) } : {}),
  };
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
