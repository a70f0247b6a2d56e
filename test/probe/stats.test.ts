// The probe's statistics, from hand-made records: percentiles, failure counts,
// outage windows and what happened to connections across an event.
import { describe, expect, it } from "vitest";
import {
  latencySummary,
  outageWindows,
  percentile,
  summarize,
  survivalAcross,
} from "../../src/probe/stats.js";
import type { Outcome, ProbeRun, RequestRecord } from "../../src/probe/types.js";

const req = (
  index: number,
  startMs: number,
  outcome: Outcome,
  extra: Partial<RequestRecord> = {},
): RequestRecord => ({
  index,
  dueMs: startMs,
  startMs,
  latencyMs: 10,
  outcome,
  connection: index,
  ...(outcome === "answered" ? { server: `s${index % 3}`, status: 200 } : {}),
  ...extra,
});

const runOf = (requests: RequestRecord[], extra: Partial<ProbeRun> = {}): ProbeRun => ({
  settings: {
    url: "http://192.0.2.10/",
    requests: requests.length,
    rate: 10,
    concurrency: 5,
    mode: "new-connection",
    timeoutMs: 1000,
    serverFrom: { kind: "body" },
  },
  startedAt: 0,
  stopped: false,
  durationMs: 1000,
  requests,
  connections: [],
  ...extra,
});

describe("percentiles (nearest rank)", () => {
  it("picks the smallest value with at least p % of values at or below it", () => {
    const v = Array.from({ length: 100 }, (_, i) => i + 1); // 1..100
    expect(percentile(v, 50)).toBe(50);
    expect(percentile(v, 90)).toBe(90);
    expect(percentile(v, 99)).toBe(99);
    expect(percentile(v, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile([1, 2, 3, 4], 51)).toBe(3);
    expect(percentile([], 50)).toBeNaN();
  });

  it("summarises unsorted latencies", () => {
    const s = latencySummary([30, 10, 20, 40, 1000])!;
    expect(s).toEqual({ count: 5, p50: 30, p90: 1000, p99: 1000, max: 1000, mean: 220 });
    expect(latencySummary([])).toBeUndefined();
  });
});

describe("summary", () => {
  it("counts answers per server, failures per kind and latency of answered requests only", () => {
    const requests = [
      req(0, 0, "answered", { latencyMs: 5 }),
      req(1, 100, "answered", { latencyMs: 15 }),
      req(2, 200, "refused", { latencyMs: 1 }),
      req(3, 300, "answered", { latencyMs: 25, server: "s0" }),
      req(4, 400, "timeout", { latencyMs: 1000 }),
      req(5, 500, "reset"),
      req(6, 600, "answered", { latencyMs: 35, server: undefined }),
      req(7, 700, "http-error", { status: 503 }),
    ];
    const s = summarize(runOf(requests));
    expect(s.sent).toBe(8);
    expect(s.answered).toBe(4);
    expect(s.failed).toBe(4);
    expect(s.failures).toEqual({ refused: 1, reset: 1, closed: 0, timeout: 1, "http-error": 1, error: 0 });
    expect(s.byServer).toEqual({ s0: 2, s1: 1 });
    expect(s.unidentified).toBe(1);
    expect(s.latencyMs).toEqual({ count: 4, p50: 15, p90: 35, p99: 35, max: 35, mean: 20 });
    expect(s.achievedRate).toBe(8);
  });

  it("reports how late requests started against their schedule", () => {
    const s = summarize(runOf([req(0, 0, "answered"), req(1, 250, "answered", { dueMs: 100 })]));
    expect(s.maxStartDelayMs).toBe(150);
  });

  it("counts connections answered by more than one server (misdelivery) and how they ended", () => {
    const s = summarize(
      runOf([], {
        connections: [
          { id: 0, openedMs: 0, end: "done", requests: 5, answered: 5, servers: ["a"] },
          { id: 1, openedMs: 0, endedMs: 50, end: "reset", requests: 3, answered: 2, servers: ["a", "b"] },
          { id: 2, openedMs: 0, end: "done", requests: 9, answered: 9, servers: ["b"] },
        ],
      }),
    );
    expect(s.connections).toEqual({
      opened: 3,
      endedBy: { done: 2, reset: 1 },
      multiServer: 1,
      maxRequestsOnOne: 9,
    });
  });
});

describe("outage windows", () => {
  it("spans each run of failures (in start order) up to the next answer", () => {
    const w = outageWindows([
      req(0, 0, "answered"),
      req(2, 200, "timeout"),
      req(1, 100, "refused"),
      req(3, 300, "answered"),
      req(4, 400, "reset"),
      req(5, 500, "answered"),
      req(6, 600, "closed"),
    ]);
    expect(w).toEqual([
      { fromMs: 100, toMs: 300, failures: 2 },
      { fromMs: 400, toMs: 500, failures: 1 },
      { fromMs: 600, failures: 1 },
    ]);
    const s = summarize(runOf([req(0, 0, "answered"), req(1, 100, "refused"), req(2, 350, "answered")]));
    expect(s.longestOutageMs).toBe(250);
    expect(outageWindows([req(0, 0, "answered")])).toEqual([]);
  });
});

describe("connection survival across an event", () => {
  const on = (connection: number, startMs: number, outcome: Outcome) =>
    req(connection * 100 + startMs, startMs, outcome, { connection });
  it("counts connections in use at the event that answered again, broke, or fell idle", () => {
    const requests = [
      // 0: answered before and after → survived
      on(0, 100, "answered"),
      on(0, 2000, "answered"),
      // 1: answered before, reset after → broken by reset
      on(1, 100, "answered"),
      on(1, 2000, "reset"),
      // 2: answered before, timed out then answered → broken by timeout (its first failure)
      on(2, 100, "answered"),
      on(2, 1500, "timeout"),
      on(2, 2600, "answered"),
      // 3: answered before, nothing after → idle
      on(3, 100, "answered"),
      // 4: opened after the event → not in use at the event
      on(4, 1200, "answered"),
      // 5: had already failed before the event → not in use
      on(5, 100, "refused"),
    ];
    expect(survivalAcross(runOf(requests), 1000)).toEqual({
      inUse: 4,
      survived: 1,
      broken: { reset: 1, timeout: 1 },
      idle: 1,
    });
  });
});
