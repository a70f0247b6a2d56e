// The data plane under load (issue 16), as steps the data-plane files run in
// the guest they already booted: `lvsplay probe` on the client, as an operator
// would run it, while SYN captures on every director count crossings.
//   steady state: every request answered, every real server used, no client
//     SYN crosses between directors twice, the backups' FWM services idle;
//   failover + failback: keepalived stopped on the MASTER mid-run, started
//     again; failed requests by kind, the longest time without an answer, the
//     VIP move times.
// Each step prints its numbers and returns a row of the README's table.
import { loadavg } from "node:os";
import { expect } from "vitest";
import { connectionEntriesFor } from "./connection-sync.js";
import { type GuestLab, inHostOk } from "./guest-lab.js";
import { ipvsStats, STATS_SETTLE_MS } from "./ipvs-stats.js";
import { type Captured, describeOutages, secs, tableRow, waitForVipOn, withSynCaptures } from "./load.js";
import {
  describeProbe,
  type ProbeReport,
  probeStarted,
  runProbeInGuest,
  waitForProbe,
  withProbe,
} from "./probe.js";

export interface LoadCluster {
  readonly vip: string;
  readonly port: number;
  /** Directors in VRRP priority order: [MASTER, next, …]. */
  readonly directors: readonly string[];
  readonly directorMacs: readonly string[];
  /** Every host that answers through the VIP (sorted). */
  readonly realServers: readonly string[];
  /** A label for printed lines and table rows ("2 directors"). */
  readonly label: string;
}

/** A steady rate the emulated guest sustains, at most this many requests in flight. */
export const RATE = 10;
export const CONCURRENCY = 10;
export const STEADY_REQUESTS = 1000;
/** Keepalived stopped on the holder, the VIP on a peer, the VIP back: see failoverUnderLoad. */
export const MOMENTS_PER_FAILOVER_AND_BACK = 3;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The machine's load average (1/5/15 min), printed beside every measurement. */
export const machineLoad = () =>
  `load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")}`;

/**
 * The longest time without a completed answer between `fromMs` and `toMs`
 * (relative to the probe's start): what the clients saw of a VIP move, whether
 * requests failed or only waited (a SYN retransmitted after 1 s, 3 s…). The
 * window ends at the latest when the probe's last request ended: after that
 * the probe had stopped, and its silence says nothing about the cluster.
 */
export function longestSilenceMs(
  r: Pick<ProbeReport, "requests">,
  fromMs: number,
  windowEndMs: number,
): number {
  const lastEnded = Math.max(fromMs, ...r.requests.map((q) => q.startMs + q.latencyMs));
  const toMs = Math.min(windowEndMs, lastEnded);
  const done = r.requests
    .filter((q) => q.outcome === "answered")
    .map((q) => q.startMs + q.latencyMs)
    .filter((t) => t >= fromMs && t <= toMs)
    .sort((a, b) => a - b);
  let longest = 0;
  let last = fromMs;
  for (const t of [...done, toMs]) {
    longest = Math.max(longest, t - last);
    last = t;
  }
  return longest;
}

/**
 * `service keepalived stop|start` on `host`; returns when it was issued on the
 * guest's wall clock (the probe's records are relative to it), ms since the epoch.
 */
async function keepalivedAt(lab: GuestLab, host: string, action: "stop" | "start"): Promise<number> {
  const out = await inHostOk(lab, host, [
    "sh",
    "-c",
    'date +%s%3N && exec service keepalived "$1"',
    "sh",
    action,
  ]);
  const first = out.split("\n", 1)[0]!.trim();
  const ms = Number(first);
  if (!Number.isInteger(ms)) throw new Error(`${host}: date +%s%3N printed "${first}"`);
  return ms;
}

/** The worst SYN, and when it crossed more than once every director's IPVS entries for its client port. */
export const loopDetail = async (
  lab: GuestLab,
  c: LoadCluster,
  run: { maxCrossings: number; worst: string },
) =>
  run.maxCrossings > 1
    ? `${run.worst}\n${await connectionEntriesFor(lab, c.directors, run.worst)}`
    : run.worst;

const fwmOf = async (lab: GuestLab, host: string) => {
  const stats = await ipvsStats(lab, host);
  const fwm = stats.services.find((s) => s.id.startsWith("FWM"));
  return { fwm, text: stats.text };
};

/** STEADY_REQUESTS through the VIP: all answered, every real server, no double crossing, backups idle. */
export async function steadyStateUnderLoad(lab: GuestLab, c: LoadCluster): Promise<string> {
  const backups = c.directors.slice(1);
  // Counters are cumulative (a backup was MASTER during earlier failovers): judge the difference.
  const before = await Promise.all(backups.map((d) => fwmOf(lab, d)));
  const loadBefore = machineLoad();
  const run = await withSynCaptures(
    lab,
    { hosts: c.directors, vip: c.vip, port: c.port, directorMacs: c.directorMacs },
    () =>
      runProbeInGuest(lab, {
        url: `http://${c.vip}:${c.port}/`,
        requests: STEADY_REQUESTS,
        rate: RATE,
        concurrency: CONCURRENCY,
      }),
  );
  await sleep(STATS_SETTLE_MS);
  const after = await Promise.all(backups.map((d) => fwmOf(lab, d)));
  const r = run.value;
  console.log(
    `${describeProbe(`${c.label}, steady state`, r)}\n  ${loadBefore} before, ${machineLoad()} after`,
  );
  expect(r.summary.sent).toBe(STEADY_REQUESTS);
  expect(r.summary.answered).toBe(STEADY_REQUESTS);
  expect(Object.keys(r.summary.byServer).sort()).toEqual([...c.realServers]);
  // Not vacuous: the MASTER forwarded SYNs to its peers (real servers too), each exactly once.
  expect(run.betweenDirectors).toBeGreaterThan(0);
  expect(run.maxCrossings, await loopDetail(lab, c, run)).toBeLessThanOrEqual(1);
  backups.forEach((d, i) => {
    const [b, a] = [before[i]!, after[i]!];
    expect(a.fwm, `${d}:\n${a.text}`).toBeDefined();
    // The backups' FWM services saw no packet: director-forwarded packets are unmarked.
    expect((a.fwm?.inPkts ?? 0) - (b.fwm?.inPkts ?? 0), `${d}:\n${b.text}\n${a.text}`).toBe(0);
    expect((a.fwm?.conns ?? 0) - (b.fwm?.conns ?? 0), `${d}:\n${b.text}\n${a.text}`).toBe(0);
  });
  return tableRow(`${c.label}: steady state`, r, machineLoad());
}

/** A probe's run around a failover and failback of the MASTER, with the moments on the probe's clock. */
export interface FailoverAndBack {
  readonly report: ProbeReport;
  /** From keepalived stopped on the MASTER to the VIP on the next director. */
  readonly failoverMs: number;
  /** From keepalived started again to the VIP back on the MASTER. */
  readonly failbackMs: number;
  /** When keepalived was stopped / started, ms after the probe started. */
  readonly stopMs: number;
  readonly startMs: number;
}

/**
 * keepalived stopped on the MASTER while the probe runs (the next director
 * takes the VIP), then started again (preempt: the MASTER takes it back); SYN
 * captures on every director around it all.
 */
export async function failoverAndBack(
  lab: GuestLab,
  c: LoadCluster,
  probeOpts: { readonly keepalive?: boolean; readonly concurrency: number },
): Promise<Captured<FailoverAndBack>> {
  const [master, next] = [c.directors[0]!, c.directors[1]!];
  return withSynCaptures(
    lab,
    { hosts: c.directors, vip: c.vip, port: c.port, directorMacs: c.directorMacs },
    async () => {
      const probed = await withProbe(
        lab,
        { url: `http://${c.vip}:${c.port}/`, requests: 1_000_000, rate: RATE, ...probeOpts },
        async (probe) => {
          await waitForProbe(lab, probe, 10 * RATE);
          const stoppedAt = await keepalivedAt(lab, master, "stop");
          let failoverMs = 0;
          let startedAt = 0;
          try {
            failoverMs = await waitForVipOn(lab, c.vip, c.directors, next);
            console.log(
              `failover: VIP on ${next} ${secs(failoverMs)} after stopping keepalived on ${master}`,
            );
            // 20 s of requests served by the new MASTER.
            await waitForProbe(lab, probe, (await probeStarted(lab, probe)) + 20 * RATE);
          } finally {
            startedAt = await keepalivedAt(lab, master, "start");
          }
          const failbackMs = await waitForVipOn(lab, c.vip, c.directors, master);
          console.log(`failback: VIP on ${master} ${secs(failbackMs)} after starting keepalived again`);
          // Time on the restored MASTER: the run must end in answers.
          await sleep(20_000);
          return { failoverMs, failbackMs, stoppedAt, startedAt };
        },
      );
      const { report, value: v } = probed;
      // The moments on the probe's clock (the guest's; its records are relative to its start).
      return {
        report,
        failoverMs: v.failoverMs,
        failbackMs: v.failbackMs,
        stopMs: v.stoppedAt - report.startedAtMs,
        startMs: v.startedAt - report.startedAtMs,
      };
    },
  );
}

/** Under load (new connection per request): failover and failback of the MASTER. */
export async function failoverUnderLoad(lab: GuestLab, c: LoadCluster): Promise<string> {
  const next = c.directors[1]!;
  const loadBefore = machineLoad();
  const run = await failoverAndBack(lab, c, { concurrency: CONCURRENCY });
  const { report: r, failoverMs: failover, failbackMs: failback, stopMs, startMs } = run.value;
  const silenceOver = longestSilenceMs(r, stopMs, stopMs + failover + 30_000);
  const silenceBack = longestSilenceMs(r, startMs, startMs + failback + 30_000);
  console.log(
    `${describeProbe(`${c.label}, failover and failback under load`, r)}\n` +
      `  ${describeOutages(r)}; longest time without an answer: ${secs(silenceOver)} around the failover, ` +
      `${secs(silenceBack)} around the failback\n  ${loadBefore} before, ${machineLoad()} after`,
  );
  expect(r.stopped).toBe(true);
  expect(r.summary.sent).toBeGreaterThanOrEqual(30 * RATE);
  // Three moments can break the requests in flight then (at most CONCURRENCY
  // each): the MASTER's keepalived removing its IPVS services (mid-stream
  // packets meet its local stack), the VIP arriving on the peer (without
  // connection sync it has no IPVS entry for them), the VIP returning. No more.
  expect(r.summary.failed).toBeLessThanOrEqual(MOMENTS_PER_FAILOVER_AND_BACK * CONCURRENCY);
  // Service came back after every outage.
  expect(r.summary.outages.every((o) => o.toMs !== undefined)).toBe(true);
  expect(Object.keys(r.summary.byServer).sort()).toEqual([...c.realServers]);
  expect(run.betweenDirectors).toBeGreaterThan(0);
  expect(run.maxCrossings, await loopDetail(lab, c, run)).toBeLessThanOrEqual(1);
  return tableRow(
    `${c.label}: failover + failback`,
    r,
    `VIP on ${next} after ${secs(failover)}, back after ${secs(failback)}; longest time without an answer ${secs(Math.max(silenceOver, silenceBack))}; ${machineLoad()}`,
  );
}
