// `lvsplay probe` run where an operator would run it: on the client host, here
// the lab's client namespace inside the guest. The guest sees the machine's
// root read-only, so the client runs this checkout's own built CLI with the
// machine's Node — the code under test, not a copy. It runs in the background
// (tests act while it runs) and writes its JSON report to a file.
import { fileURLToPath } from "node:url";
import type { ProbeSummary } from "../../../src/probe/stats.js";
import type { ConnectionRecord, ProbeSettings, RequestRecord } from "../../../src/probe/types.js";
import { type GuestLab, inHost, inHostOk, pollUntil, SETTLE_LIMIT_MS } from "./guest-lab.js";

const CLI = fileURLToPath(new URL("../../../bin/lvsplay.js", import.meta.url));

export interface ProbeReport {
  readonly settings: ProbeSettings;
  /** Guest wall clock, ms since the epoch, when the probe started: records are relative to it. */
  readonly startedAtMs: number;
  /** Ended by stopProbe before sending every request. */
  readonly stopped: boolean;
  readonly summary: ProbeSummary;
  readonly requests: readonly RequestRecord[];
  readonly connections: readonly ConnectionRecord[];
}

export interface ProbeOptions {
  readonly url: string;
  readonly requests: number;
  readonly rate: number;
  readonly concurrency: number;
  readonly keepalive?: boolean;
  readonly timeoutSec?: number;
  readonly client?: string;
}

export interface RunningProbe {
  readonly host: string;
  readonly pid: number;
  readonly out: string;
  readonly opts: ProbeOptions;
}

/**
 * Per request (connect to complete response). Generous: the guest is emulated on
 * a shared machine, where an answer that takes milliseconds natively can take
 * seconds; a request that is really lost (reset, refused, looping) fails anyway.
 */
export const PROBE_TIMEOUT_SEC = 30;

let seq = 0;

export async function startProbe(lab: GuestLab, opts: ProbeOptions): Promise<RunningProbe> {
  const host = opts.client ?? "client";
  const out = `/tmp/lvsplay-probe-${process.pid}-${seq++}`;
  const argv = [
    process.execPath,
    CLI,
    "probe",
    opts.url,
    "--requests",
    String(opts.requests),
    "--rate",
    String(opts.rate),
    "--concurrency",
    String(opts.concurrency),
    "--timeout",
    String(opts.timeoutSec ?? PROBE_TIMEOUT_SEC),
    ...(opts.keepalive ? ["--keepalive"] : []),
    "--json",
    "--records",
    "--progress",
    // Failures are what the tests count, not a reason for the probe to fail.
    "--max-failures",
    String(opts.requests),
  ];
  // Backgrounded with its pid recorded, so the test waits for exactly this process.
  const script = 'out=$1; shift; "$@" >"$out.json" 2>"$out.err" </dev/null & echo $!';
  const pid = Number((await inHostOk(lab, host, ["sh", "-c", script, "sh", out, ...argv])).trim());
  if (!Number.isInteger(pid) || pid <= 1) throw new Error(`${host}: the probe did not start`);
  return { host, pid, out, opts };
}

/** Progress lines look like "12.0 s: started 360, answered 355, failed 0, in flight 5". */
export async function probeStarted(lab: GuestLab, probe: RunningProbe): Promise<number> {
  const err = (await inHost(lab, probe.host, ["cat", `${probe.out}.err`])).stdout;
  const last = [...err.matchAll(/started (\d+)/g)].pop();
  return last ? Number(last[1]) : 0;
}

/** Waits until the probe has started at least `count` requests (it is under way). */
export async function waitForProbe(lab: GuestLab, probe: RunningProbe, count: number): Promise<number> {
  const { ms } = await pollUntil(
    `the probe in ${probe.host} to start ${count} requests`,
    async () => ((await probeStarted(lab, probe)) >= count ? true : undefined),
    { timeoutMs: SETTLE_LIMIT_MS, intervalMs: 500 },
  );
  return ms;
}

/**
 * Ends an open-ended probe: SIGTERM makes it start no new request, finish those
 * in flight and print its report (SIGTERM, not SIGINT: a background job of a
 * non-interactive shell starts with SIGINT ignored).
 */
export async function stopProbe(lab: GuestLab, probe: RunningProbe): Promise<ProbeReport> {
  await inHost(lab, probe.host, ["kill", "-TERM", String(probe.pid)]);
  return finishProbe(lab, probe);
}

/** Waits for the probe to finish (it ends by itself, or after stopProbe) and returns its report. */
export async function finishProbe(lab: GuestLab, probe: RunningProbe): Promise<ProbeReport> {
  // The run lasts requests/rate seconds plus one timeout; the bound is a hang guard on top.
  const expectedMs =
    (probe.opts.requests / probe.opts.rate + (probe.opts.timeoutSec ?? PROBE_TIMEOUT_SEC)) * 1000;
  await pollUntil(
    `the probe (pid ${probe.pid}) in ${probe.host} to finish`,
    async () =>
      (await inHost(lab, probe.host, ["kill", "-0", String(probe.pid)])).code !== 0 ? true : undefined,
    { timeoutMs: 4 * expectedMs + SETTLE_LIMIT_MS, intervalMs: 1000 },
  );
  const json = await inHostOk(lab, probe.host, ["cat", `${probe.out}.json`]);
  const err = await inHostOk(lab, probe.host, ["cat", `${probe.out}.err`]);
  await inHost(lab, probe.host, ["rm", "-f", `${probe.out}.json`, `${probe.out}.err`]);
  try {
    return JSON.parse(json) as ProbeReport;
  } catch {
    throw new Error(
      `the probe in ${probe.host} wrote no JSON report:\n${json.slice(0, 2000)}\n${err.slice(-3000)}`,
    );
  }
}

/**
 * Starts the probe, runs `body` while it runs, then stops it and returns its
 * report with body's value. The probe is a process we started: it is stopped
 * also when body throws (and body's error is the one thrown).
 */
export async function withProbe<T>(
  lab: GuestLab,
  opts: ProbeOptions,
  body: (probe: RunningProbe) => Promise<T>,
): Promise<{ readonly report: ProbeReport; readonly value: T }> {
  const probe = await startProbe(lab, opts);
  let value: T;
  try {
    value = await body(probe);
  } catch (error) {
    await stopProbe(lab, probe).catch(() => undefined);
    throw error;
  }
  return { report: await stopProbe(lab, probe), value };
}

export async function runProbeInGuest(lab: GuestLab, opts: ProbeOptions): Promise<ProbeReport> {
  return finishProbe(lab, await startProbe(lab, opts));
}

const ms = (v: number | undefined) => (v === undefined ? "-" : `${v.toFixed(1)} ms`);

/** One line a test prints: what the probe saw. */
export function describeProbe(what: string, r: ProbeReport): string {
  const s = r.summary;
  const failures = Object.entries(s.failures)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`)
    .join(", ");
  const servers = Object.entries(s.byServer)
    .map(([k, n]) => `${k}=${n}`)
    .join(" ");
  return (
    `${what}: ${s.answered}/${s.sent} answered (${servers})${failures ? `, failed: ${failures}` : ""}; ` +
    `${r.settings.mode} at ${r.settings.rate}/s (achieved ${s.achievedRate.toFixed(1)}/s) over ${(s.durationMs / 1000).toFixed(1)} s; ` +
    `latency p50 ${ms(s.latencyMs?.p50)} p90 ${ms(s.latencyMs?.p90)} p99 ${ms(s.latencyMs?.p99)} max ${ms(s.latencyMs?.max)}`
  );
}
