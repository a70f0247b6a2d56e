// When a rolling apply moved the VIP, on the probe's clock: the apply's
// --log-file stamps every line (host clock), the probe records relative to its
// start (guest clock), and one `date` in the guest gives the offset between
// the two. So an outage can be put at the moment that caused it — the holder's
// keepalived stopped (the hand-over) or started again (the take-back).
import { readFileSync } from "node:fs";
import { type GuestLab, inHostOk } from "./guest-lab.js";

export interface ClockOffset {
  /** Guest clock minus host clock, ms. */
  readonly guestMinusHostMs: number;
  /** Round trip of the reading: the offset is good to about half of it. */
  readonly rttMs: number;
}

export async function guestClockOffset(lab: GuestLab, host: string): Promise<ClockOffset> {
  const before = Date.now();
  const out = (await inHostOk(lab, host, ["date", "+%s%3N"])).trim();
  const after = Date.now();
  const guest = Number(out);
  if (!Number.isInteger(guest)) throw new Error(`${host}: date +%s%3N printed "${out}"`);
  return { guestMinusHostMs: guest - (before + after) / 2, rttMs: after - before };
}

export interface DrainMoment {
  readonly host: string;
  readonly what:
    | "keepalived stopped"
    | "priority lowered"
    | "handed over"
    | "keepalived started"
    | "priority back"
    | "taken back";
  /** Host clock, ms since the epoch. */
  readonly atMs: number;
}

const STAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (.*)$/;

/**
 * From an apply's --log-file: the drain's first command (the first line of its
 * held script: keepalived's stop, or the write of the drain file that lowers the
 * priority), "vip drained:" (handed over), and "vip restored: … after N s" — its
 * release, N s before the line, is when keepalived was started again (or the
 * priority put back).
 */
export function drainMoments(logFile: string): DrainMoment[] {
  const moments: DrainMoment[] = [];
  for (const line of readFileSync(logFile, "utf8").split("\n")) {
    const m = STAMP.exec(line);
    if (!m) continue;
    const at = Date.parse(m[1]!);
    const text = m[2]!;
    // The held script's first line (drain.ts drainScript / priorityDrainScript).
    const sent =
      /^\[([^\]]+)\] \$ sh -c '(?:(?:systemctl stop keepalived|service keepalived stop) 2>&1|(echo 1 >\S+ \|\| exit 1))$/.exec(
        text,
      );
    if (sent)
      moments.push({ host: sent[1]!, what: sent[2] ? "priority lowered" : "keepalived stopped", atMs: at });
    const drained = /^vip drained: \[([^\]]+)\]/.exec(text);
    if (drained) moments.push({ host: drained[1]!, what: "handed over", atMs: at });
    const restored =
      /^vip restored: \[([^\]]+)\] (priority back|keepalived running) .* after ([\d.]+) s;/.exec(text);
    if (restored) {
      moments.push({
        host: restored[1]!,
        what: restored[2] === "priority back" ? "priority back" : "keepalived started",
        atMs: at - Number(restored[3]) * 1000,
      });
      moments.push({ host: restored[1]!, what: "taken back", atMs: at });
    }
  }
  return moments.sort((a, b) => a.atMs - b.atMs);
}

/** "ds1 keepalived stopped 31.2 s, ds1 handed over 43.0 s, …" on the probe's clock. */
export function describeMoments(
  moments: readonly DrainMoment[],
  offset: ClockOffset,
  probeStartedAtMs: number,
): string {
  if (moments.length === 0) return "no drain in the log";
  const at = (m: DrainMoment) => ((m.atMs + offset.guestMinusHostMs - probeStartedAtMs) / 1000).toFixed(1);
  return `${moments.map((m) => `${m.host} ${m.what} ${at(m)} s`).join(", ")} (probe clock, ±${Math.ceil(offset.rttMs / 2)} ms)`;
}
