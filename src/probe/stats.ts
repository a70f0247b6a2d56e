// Statistics of a probe run: pure functions of its records (unit-tested).
import { FAILURE_KINDS, type Outcome, type ProbeRun, type RequestRecord } from "./types.js";

export type FailureKind = Exclude<Outcome, "answered">;

export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/** A run of consecutive failed requests (in start order) and the answer that ended it. */
export interface OutageWindow {
  /** Start of the first failed request, ms after the run started. */
  readonly fromMs: number;
  /** Start of the first answered request after it; absent when none followed. */
  readonly toMs?: number;
  readonly failures: number;
}

export interface ProbeSummary {
  readonly sent: number;
  readonly answered: number;
  readonly failed: number;
  /** Every failure kind, 0 when none happened (stable keys for JSON readers). */
  readonly failures: Readonly<Record<FailureKind, number>>;
  /** Answering server → answered requests, sorted by name. */
  readonly byServer: Readonly<Record<string, number>>;
  /** Answered requests whose server could not be identified. */
  readonly unidentified: number;
  readonly latencyMs?: LatencySummary;
  readonly durationMs: number;
  /** Requests started per second over the run. */
  readonly achievedRate: number;
  /** Most a request started after its schedule (every allowed connection was busy). */
  readonly maxStartDelayMs: number;
  readonly outages: readonly OutageWindow[];
  /** Longest outage that ended (from its first failure to the next answer). */
  readonly longestOutageMs: number;
  readonly connections: {
    readonly opened: number;
    /** How connections ended: failure kinds, "server-closed", "done", "open". */
    readonly endedBy: Readonly<Record<string, number>>;
    /** Connections answered by more than one server (misdelivery). */
    readonly multiServer: number;
    readonly maxRequestsOnOne: number;
  };
}

/** Nearest-rank percentile of ascending `sorted` (p in 0..100); NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

export function latencySummary(values: readonly number[]): LatencySummary | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mean = sorted.reduce((s, v) => s + v, 0) / sorted.length;
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1]!,
    mean,
  };
}

export function outageWindows(requests: readonly RequestRecord[]): OutageWindow[] {
  const byStart = [...requests].sort((a, b) => a.startMs - b.startMs || a.index - b.index);
  const windows: OutageWindow[] = [];
  let open: { fromMs: number; failures: number } | undefined;
  for (const r of byStart) {
    if (r.outcome !== "answered") {
      if (open) open.failures++;
      else open = { fromMs: r.startMs, failures: 1 };
    } else if (open) {
      windows.push({ ...open, toMs: r.startMs });
      open = undefined;
    }
  }
  if (open) windows.push(open);
  return windows;
}

const count = <K extends string>(keys: Iterable<K>): Record<K, number> => {
  const out = {} as Record<K, number>;
  for (const k of keys) out[k] = (out[k] ?? 0) + 1;
  return out;
};

const sortedRecord = (r: Record<string, number>): Record<string, number> =>
  Object.fromEntries(Object.entries(r).sort(([a], [b]) => a.localeCompare(b)));

export function summarize(run: ProbeRun): ProbeSummary {
  const { requests, connections } = run;
  const answered = requests.filter((r) => r.outcome === "answered");
  const failures = Object.fromEntries(FAILURE_KINDS.map((k) => [k, 0])) as Record<FailureKind, number>;
  for (const r of requests) if (r.outcome !== "answered") failures[r.outcome]++;
  const outages = outageWindows(requests);
  return {
    sent: requests.length,
    answered: answered.length,
    failed: requests.length - answered.length,
    failures,
    byServer: sortedRecord(count(answered.flatMap((r) => (r.server !== undefined ? [r.server] : [])))),
    unidentified: answered.filter((r) => r.server === undefined).length,
    ...(answered.length > 0 ? { latencyMs: latencySummary(answered.map((r) => r.latencyMs))! } : {}),
    durationMs: run.durationMs,
    achievedRate: run.durationMs > 0 ? (requests.length * 1000) / run.durationMs : 0,
    maxStartDelayMs: requests.reduce((m, r) => Math.max(m, r.startMs - r.dueMs), 0),
    outages,
    longestOutageMs: outages.reduce((m, w) => (w.toMs === undefined ? m : Math.max(m, w.toMs - w.fromMs)), 0),
    connections: {
      opened: connections.length,
      endedBy: sortedRecord(count(connections.map((c) => c.end))),
      multiServer: connections.filter((c) => c.servers.length > 1).length,
      maxRequestsOnOne: connections.reduce((m, c) => Math.max(m, c.requests), 0),
    },
  };
}

/** What happened to the connections that were in use when something happened at `atMs` (e.g. a failover). */
export interface ConnectionSurvival {
  /** Connections that had answered before atMs and were still open then. */
  readonly inUse: number;
  /** …that answered again after atMs without a failure. */
  readonly survived: number;
  /** …that failed after atMs, by kind of their first failure. */
  readonly broken: Readonly<Record<string, number>>;
  /** …that were neither (no request after atMs): not counted either way. */
  readonly idle: number;
}

export function survivalAcross(run: ProbeRun, atMs: number): ConnectionSurvival {
  const byConnection = new Map<number, RequestRecord[]>();
  for (const r of run.requests)
    byConnection.set(r.connection, [...(byConnection.get(r.connection) ?? []), r]);
  let inUse = 0;
  let survived = 0;
  let idle = 0;
  const broken: Record<string, number> = {};
  for (const reqs of byConnection.values()) {
    const sorted = reqs.sort((a, b) => a.startMs - b.startMs);
    const before = sorted.filter((r) => r.startMs + r.latencyMs <= atMs);
    const after = sorted.filter((r) => r.startMs + r.latencyMs > atMs);
    if (!before.some((r) => r.outcome === "answered") || before.some((r) => r.outcome !== "answered"))
      continue;
    inUse++;
    const failure = after.find((r) => r.outcome !== "answered");
    if (failure) broken[failure.outcome] = (broken[failure.outcome] ?? 0) + 1;
    else if (after.length > 0) survived++;
    else idle++;
  }
  return { inUse, survived, broken: sortedRecord(broken), idle };
}
