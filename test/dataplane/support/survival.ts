// Which keep-alive connections survived a VIP move (issue 16 d): a pure
// function of a probe's records, so the rule is unit-tested
// (test/dataplane/survival.test.ts) apart from the emulated guest.
//   open at the move: opened before it, answered at least once before it,
//     not ended before it;
//   survived: no request on it failed from the move on, and one started after
//     the VIP had arrived on its new holder was answered — the connection went
//     on through the new director, not merely idled through the move;
//   broken: a request on it failed (reset, timeout…) after the move, or the
//     server side closed it while it was idle (the test's keep-alive server
//     never closes one, so a reset or FIN then is the network's doing; the
//     probe records that as the connection's end, not as a failed request);
//   unused: neither (no request on it in the window: the test must not count it).
import type { ConnectionRecord, Outcome, RequestRecord } from "../../../src/probe/types.js";

export interface MoveSurvival {
  readonly open: number;
  readonly survived: number;
  /** Broken connections by the outcome of their first failed request. */
  readonly broken: Readonly<Record<string, number>>;
  readonly unused: number;
  /** Connections answered by more than one real server (misdelivery after the move). */
  readonly misdelivered: number;
  /** Survivors and broken connections by the real server that answered them. */
  readonly survivedOn: Readonly<Record<string, number>>;
  readonly brokenOn: Readonly<Record<string, number>>;
}

export interface MoveWindow {
  /** When the VIP started to move (keepalived stopped or started), ms on the probe's clock. */
  readonly moveMs: number;
  /** When the VIP was seen on its new holder. */
  readonly arrivedMs: number;
  /** End of the window: the next move, or the end of the run. */
  readonly untilMs: number;
}

export function survivalAcross(
  r: { readonly requests: readonly RequestRecord[]; readonly connections: readonly ConnectionRecord[] },
  w: MoveWindow,
): MoveSurvival {
  const byConnection = new Map<number, RequestRecord[]>();
  for (const q of r.requests) {
    const list = byConnection.get(q.connection) ?? [];
    list.push(q);
    byConnection.set(q.connection, list);
  }
  let open = 0;
  let survived = 0;
  let unused = 0;
  let misdelivered = 0;
  const broken: Record<string, number> = {};
  const survivedOn: Record<string, number> = {};
  const brokenOn: Record<string, number> = {};
  const count = (into: Record<string, number>, key: string) => {
    into[key] = (into[key] ?? 0) + 1;
  };
  const serverOf = (c: ConnectionRecord) => c.servers.join("+") || "?";
  for (const c of r.connections) {
    const requests = byConnection.get(c.id) ?? [];
    const ends = (q: RequestRecord) => q.startMs + q.latencyMs;
    const answeredBefore = requests.some((q) => q.outcome === "answered" && ends(q) < w.moveMs);
    const endedBefore = c.endedMs !== undefined && c.endedMs < w.moveMs;
    if (c.openedMs >= w.moveMs || !answeredBefore || endedBefore) continue;
    open++;
    if (c.servers.length > 1) misdelivered++;
    const failed = requests
      .filter((q) => q.outcome !== "answered" && ends(q) >= w.moveMs && q.startMs < w.untilMs)
      .sort((a, b) => ends(a) - ends(b));
    const closedIdle =
      c.end === "server-closed" && c.endedMs !== undefined && c.endedMs >= w.moveMs && c.endedMs < w.untilMs;
    if (failed.length > 0) {
      const kind: Outcome = failed[0]!.outcome;
      count(broken, kind);
      count(brokenOn, serverOf(c));
    } else if (closedIdle) {
      count(broken, "closed while idle");
      count(brokenOn, serverOf(c));
    } else if (
      requests.some((q) => q.outcome === "answered" && q.startMs >= w.arrivedMs && q.startMs < w.untilMs)
    ) {
      survived++;
      count(survivedOn, serverOf(c));
    } else unused++;
  }
  return { open, survived, broken, unused, misdelivered, survivedOn, brokenOn };
}

const list = (r: Readonly<Record<string, number>>) =>
  Object.entries(r)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, n]) => `${k} ${n}`)
    .join(", ");

/** "10 open, 10 survived (ds1 3, rs3 7)" or "10 open, 3 survived (ds2 3), broken: reset 7 (ds1 4, rs3 3)". */
export function describeSurvival(s: MoveSurvival): string {
  const on = (r: Readonly<Record<string, number>>) => (Object.keys(r).length > 0 ? ` (${list(r)})` : "");
  return (
    `${s.open} open, ${s.survived} survived${on(s.survivedOn)}` +
    (Object.keys(s.broken).length > 0 ? `, broken: ${list(s.broken)}${on(s.brokenOn)}` : "") +
    (s.unused > 0 ? `, ${s.unused} unused in the window` : "") +
    (s.misdelivered > 0 ? `, ${s.misdelivered} answered by more than one server` : "")
  );
}
