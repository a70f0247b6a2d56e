// Process bookkeeping by PID + start time: the lab only ever signals a process it
// recorded, and only while that PID still belongs to the same process.
import { existsSync, readFileSync } from "node:fs";
import type { RecordedProcess } from "./state.js";
import { waitUntil } from "./wait.js";

export function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // comm (field 2) may contain spaces and parentheses: split after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return rest[19]; // field 22 overall
  } catch {
    return undefined;
  }
}

export function record(pid: number): RecordedProcess {
  const startTime = startTimeOf(pid);
  if (startTime === undefined) throw new Error(`process ${pid} vanished`);
  return { pid, startTime };
}

/** Alive and still the process we recorded (not a zombie, not a recycled PID). */
export function isAlive(proc: RecordedProcess): boolean {
  if (startTimeOf(proc.pid) !== proc.startTime) return false;
  try {
    const status = readFileSync(`/proc/${proc.pid}/status`, "utf8");
    return !/^State:\s+Z/m.test(status);
  } catch {
    return false;
  }
}

/** The single child of a process (unshare --fork's child is the host's PID 1). */
export function childrenOf(pid: number): number[] {
  const file = `/proc/${pid}/task/${pid}/children`;
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .trim()
    .split(/\s+/)
    .filter((s) => s.length > 0)
    .map(Number);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** SIGTERM, then SIGKILL after graceMs; resolves once the process is gone. No-op if it is not ours any more. */
export async function stopProcess(proc: RecordedProcess | undefined, graceMs = 2000): Promise<void> {
  if (!proc || !isAlive(proc)) return;
  try {
    process.kill(proc.pid, "SIGTERM");
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (isAlive(proc) && Date.now() < deadline) await sleep(10);
  if (isAlive(proc)) {
    try {
      process.kill(proc.pid, "SIGKILL");
    } catch {}
    // A killed process is gone within moments, but a loaded machine may take a while to reap it.
    await waitUntil(`process ${proc.pid} to exit after SIGKILL`, () => (isAlive(proc) ? undefined : true), {
      limitMs: 120_000,
      intervalMs: 20,
    });
  }
}
