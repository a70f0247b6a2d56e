// Starting and stopping the QEMU process itself, by PID (never by name).
import { existsSync, readFileSync } from "node:fs";
import { runHost } from "./host-command.js";
import { QEMU_BINARY, QEMU_NAME } from "./qemu-args.js";

/** Runs QEMU with -daemonize: returns once the guest is started, with QEMU's PID. */
export async function startQemu(args: readonly string[], pidFile: string): Promise<number> {
  // -daemonize returns once the guest runs; the limit only guards against a hang.
  await runHost([QEMU_BINARY, ...args], { timeoutMs: 10 * 60_000 });
  const pid = Number.parseInt(readFileSync(pidFile, "utf8").trim(), 10);
  if (!Number.isInteger(pid) || pid <= 1) throw new Error(`bad QEMU pid file ${pidFile}`);
  return pid;
}

export function isOurQemu(pid: number): boolean {
  const cmdline = `/proc/${pid}/cmdline`;
  if (!existsSync(cmdline)) return false;
  try {
    const argv = readFileSync(cmdline, "utf8").split("\0");
    return argv.includes(QEMU_NAME);
  } catch {
    return false;
  }
}

export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (!isOurQemu(pid)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return !isOurQemu(pid);
}

/** Resident memory of the QEMU process in MiB (VmRSS), or undefined when gone. */
export function qemuRssMb(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m?.[1] ? Math.round(Number(m[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

/** CPU seconds (user + system) QEMU has used so far, or undefined when gone. */
export function qemuCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]);
    return ticks / 100; // USER_HZ is 100 on Linux x86
  } catch {
    return undefined;
  }
}

/** True when no process with this PID runs (a zombie awaiting its reaper counts as gone). */
export function processGone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return true;
  }
}
