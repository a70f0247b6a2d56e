// Shared by the data-plane tests under load: who holds a VIP, SYN captures
// around a probe run, and one-line reports of what a probe saw.
import { type GuestLab, inHostOk, pollUntil, SETTLE_LIMIT_MS } from "./guest-lab.js";
import type { ProbeReport } from "./probe.js";
import {
  countDirectorCrossings,
  parseSynFrames,
  type RunningCapture,
  startSynCapture,
  stopSynCapture,
} from "./syn-capture.js";

export const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export async function holdsVip(lab: GuestLab, host: string, vip: string, iface = "eth1"): Promise<boolean> {
  const out = await inHostOk(lab, host, ["ip", "-4", "-o", "addr", "show", "dev", iface]);
  return out.includes(`inet ${vip}/32`);
}

/** Waits until exactly `master` among `directors` holds the VIP; returns the wait. */
export async function waitForVipOn(
  lab: GuestLab,
  vip: string,
  directors: readonly string[],
  master: string,
): Promise<number> {
  const { ms } = await pollUntil(
    `VIP ${vip} held by ${master} only`,
    async () => {
      const held = await Promise.all(directors.map((d) => holdsVip(lab, d, vip)));
      return directors.every((d, i) => held[i] === (d === master)) ? true : undefined;
    },
    { timeoutMs: SETTLE_LIMIT_MS, intervalMs: 500 },
  );
  return ms;
}

export interface Captured<T> {
  readonly value: T;
  /** The most often one client SYN crossed between directors, over every capture. */
  readonly maxCrossings: number;
  /** Director→director SYN frames over every capture (> 0: the MASTER did forward to a peer). */
  readonly betweenDirectors: number;
  /** Where the worst SYN was seen, for the assertion message. */
  readonly worst: string;
}

/** Client SYN captures on `hosts` (vip:port) around `body`; stopped even when it throws. */
export async function withSynCaptures<T>(
  lab: GuestLab,
  opts: { hosts: readonly string[]; vip: string; port: number; directorMacs: readonly string[] },
  body: () => Promise<T>,
): Promise<Captured<T>> {
  const caps: RunningCapture[] = [];
  for (const h of opts.hosts) caps.push(await startSynCapture(lab, h, opts.vip, opts.port));
  // The captures are processes we started: stop them even when the body failed.
  const outcome = await body().then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  const texts = await Promise.all(caps.map((c) => stopSynCapture(lab, c)));
  if ("error" in outcome) throw outcome.error;
  let maxCrossings = 0;
  let betweenDirectors = 0;
  let worst = "";
  texts.forEach((text, i) => {
    const host = caps[i]!.host;
    const c = countDirectorCrossings(parseSynFrames(text), opts.directorMacs);
    betweenDirectors += c.betweenDirectors;
    if (c.max > maxCrossings) {
      maxCrossings = c.max;
      worst = `${host}: ${c.maxKey}`;
    }
    console.log(
      `  ${host} eth1: ${c.frames} SYN frames, ${c.betweenDirectors} director→director, max ${c.max} crossings of one SYN`,
    );
  });
  return { value: outcome.value, maxCrossings, betweenDirectors, worst };
}

/** The outages a probe saw, one line. */
export function describeOutages(r: ProbeReport): string {
  const s = r.summary;
  if (s.outages.length === 0) return "no outage";
  const each = s.outages.map(
    (o) =>
      `${o.failures} failed from ${secs(o.fromMs)}${o.toMs !== undefined ? ` for ${secs(o.toMs - o.fromMs)}` : " (not ended)"}`,
  );
  return `${s.outages.length} outage(s): ${each.join("; ")}; longest ${secs(s.longestOutageMs)}`;
}

const ms = (v: number | undefined) => (v === undefined ? "-" : `${v.toFixed(0)} ms`);

/** A row of the README's measured table: what | requests | failed | by kind | p50 | p99 | notes. */
export function tableRow(what: string, r: ProbeReport, notes = ""): string {
  const s = r.summary;
  const kinds = Object.entries(s.failures)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`)
    .join(", ");
  return `| ${what} | ${s.sent} | ${s.failed} | ${kinds || "-"} | ${ms(s.latencyMs?.p50)} | ${ms(s.latencyMs?.p99)} | ${notes} |`;
}
