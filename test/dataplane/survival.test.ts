// The rule the keep-alive failover test counts surviving connections by
// (support/survival.ts): open at the move, then answered through the new
// holder with no failure — or broken, or unused.
import { describe, expect, it } from "vitest";
import type { ConnectionRecord, Outcome, RequestRecord } from "../../src/probe/types.js";
import { describeSurvival, survivalAcross } from "./support/survival.js";

let index = 0;
const req = (
  connection: number,
  startMs: number,
  outcome: Outcome = "answered",
  latencyMs = 10,
): RequestRecord => ({
  index: index++,
  dueMs: startMs,
  startMs,
  latencyMs,
  outcome,
  connection,
});
const conn = (id: number, openedMs: number, extra: Partial<ConnectionRecord> = {}): ConnectionRecord => ({
  id,
  openedMs,
  end: "open",
  requests: 0,
  answered: 0,
  servers: ["rs1"],
  ...extra,
});

// The VIP starts to move at 1000 ms, is on its new holder at 1500 ms; the window ends at 5000 ms.
const W = { moveMs: 1000, arrivedMs: 1500, untilMs: 5000 };

describe("survivalAcross", () => {
  it("counts a connection answered through the new holder with no failure as survived", () => {
    const r = {
      connections: [conn(0, 0)],
      requests: [req(0, 100), req(0, 900), req(0, 1200, "answered", 400), req(0, 2000)],
    };
    expect(survivalAcross(r, W)).toEqual({
      open: 1,
      survived: 1,
      broken: {},
      unused: 0,
      misdelivered: 0,
      survivedOn: { rs1: 1 },
      brokenOn: {},
    });
  });

  it("counts a connection the server side closed while idle after the move as broken, not unused", () => {
    const r = {
      connections: [
        conn(0, 0, { end: "server-closed", endedMs: 1300, servers: ["rs2"] }),
        // Closed before the move: not open at it, not counted.
        conn(1, 0, { end: "server-closed", endedMs: 950 }),
      ],
      requests: [req(0, 100), req(0, 800), req(1, 100)],
    };
    expect(survivalAcross(r, W)).toMatchObject({
      open: 1,
      survived: 0,
      broken: { "closed while idle": 1 },
      unused: 0,
      brokenOn: { rs2: 1 },
    });
  });

  it("counts a failure after the move as broken, by its kind, even when a later request was answered", () => {
    const r = {
      connections: [
        conn(0, 0, { end: "reset", endedMs: 1600 }),
        conn(1, 0, { end: "timeout", endedMs: 4000, servers: ["rs2"] }),
      ],
      // Connection 0's request in flight at the move (900 + 700 ms) was reset.
      requests: [
        req(0, 100),
        req(0, 900, "reset", 700),
        req(1, 200),
        req(1, 2000),
        req(1, 3000, "timeout", 900),
      ],
    };
    expect(survivalAcross(r, W)).toEqual({
      open: 2,
      survived: 0,
      broken: { reset: 1, timeout: 1 },
      unused: 0,
      misdelivered: 0,
      survivedOn: {},
      brokenOn: { rs1: 1, rs2: 1 },
    });
  });

  it("leaves out connections opened after the move, never answered before it, or ended before it", () => {
    const r = {
      connections: [conn(0, 1100), conn(1, 0, { end: "reset", endedMs: 950 }), conn(2, 900), conn(3, 0)],
      requests: [
        req(0, 1100),
        req(1, 100, "reset", 850),
        req(2, 950, "answered", 100),
        req(3, 100),
        req(3, 1600),
      ],
    };
    // Connection 2's first answer ended at 1050, after the move: not open at it.
    expect(survivalAcross(r, W).open).toBe(1);
    expect(survivalAcross(r, W).survived).toBe(1);
  });

  it("does not count a connection that only idled through the move, nor answers before the VIP arrived", () => {
    const r = {
      connections: [conn(0, 0), conn(1, 0)],
      // Connection 1's only answer after the move started before the VIP arrived; both idle after.
      requests: [req(0, 100), req(1, 100), req(1, 1200), req(0, 6000)],
    };
    expect(survivalAcross(r, W)).toMatchObject({ open: 2, survived: 0, unused: 2 });
  });

  it("reports misdelivery and prints one line", () => {
    const r = {
      connections: [conn(0, 0, { servers: ["rs1", "rs2"] })],
      requests: [req(0, 100), req(0, 2000)],
    };
    const s = survivalAcross(r, W);
    expect(s.misdelivered).toBe(1);
    expect(describeSurvival(s)).toBe("1 open, 1 survived (rs1+rs2 1), 1 answered by more than one server");
    expect(
      describeSurvival({
        open: 10,
        survived: 3,
        broken: { reset: 7 },
        unused: 0,
        misdelivered: 0,
        survivedOn: { ds2: 3 },
        brokenOn: { rs3: 3, ds1: 4 },
      }),
    ).toBe("10 open, 3 survived (ds2 3), broken: reset 7 (ds1 4, rs3 3)");
  });
});
