// What verify may demand of one client's sequential requests: every real
// server only under rr/wrr without persistence, and only over a full cycle.
import { describe, expect, it } from "vitest";
import { expectedSpread } from "../../src/lvs/spread.js";

const SERVERS = ["ds1", "ds2", "rs3"];
const svc = (scheduler: string, weights: Record<string, number> = {}, persistenceTimeoutSec?: number) => ({
  scheduler,
  weights,
  ...(persistenceTimeoutSec ? { persistenceTimeoutSec } : {}),
});

describe("expectedSpread", () => {
  it("rr: every real server of weight > 0, once the requests cover one round", () => {
    expect(expectedSpread(svc("rr"), SERVERS, 30)).toEqual({ kind: "every", servers: SERVERS });
    expect(expectedSpread(svc("rr", { rs3: 0 }), SERVERS, 30)).toEqual({
      kind: "every",
      servers: ["ds1", "ds2"],
    });
    expect(expectedSpread(svc("rr"), SERVERS, 2)).toEqual({
      kind: "unpredictable",
      why: "2 requests are fewer than one rr cycle over the real servers (3)",
    });
  });

  it("wrr: a cycle is sum(weights)/gcd(weights) requests", () => {
    expect(expectedSpread(svc("wrr", { ds1: 2, ds2: 4, rs3: 6 }), SERVERS, 6)).toEqual({
      kind: "every",
      servers: SERVERS,
    });
    expect(expectedSpread(svc("wrr", { ds1: 1, ds2: 1, rs3: 100 }), SERVERS, 30).kind).toBe("unpredictable");
  });

  it("least-connection, hashing and locality schedulers, and persistence: not judged", () => {
    for (const s of ["wlc", "lc", "sed", "nq", "sh", "dh", "mh", "lblc", "lblcr"])
      expect(expectedSpread(svc(s), SERVERS, 1000)).toEqual({
        kind: "unpredictable",
        why: `scheduler ${s} does not spread one client's requests over every real server`,
      });
    expect(expectedSpread(svc("rr", {}, 300), SERVERS, 1000)).toEqual({
      kind: "unpredictable",
      why: "persistence_timeout 300 s keeps one client on one real server",
    });
  });
});
