// The probe's schedule: request i is due i/rate seconds after the start (an
// open loop, like real clients: a slow answer does not slow the arrivals) and
// starts as soon as a connection is free — at most `concurrency` in flight.
// New-connection mode opens and closes one TCP connection per request.
// Keep-alive mode holds a pool of up to `concurrency` connections and uses
// them in turn (the longest idle first), opening a new one while the pool is
// not full or after one broke: every connection stays in use, each carrying a
// request every concurrency/rate seconds — what a failover test needs (many
// long-lived connections open and active when the VIP moves), where reusing
// the most recent idle one would leave one busy connection and idle others.
import type { Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { connect, exchange, failureOf, type HttpResponse, ProbeFailure, requestBytes } from "./http.js";
import type { ConnectionRecord, ProbeRun, ProbeSettings, RequestRecord, ServerFrom } from "./types.js";

export interface ProbeProgress {
  readonly elapsedMs: number;
  readonly started: number;
  readonly answered: number;
  readonly failed: number;
  readonly inFlight: number;
}

export interface ProbeHooks {
  /** Called about once a second while the run lasts. */
  readonly onProgress?: (p: ProbeProgress) => void;
  /**
   * Ends the run early: no new request starts, the ones in flight finish (each
   * bounded by the timeout), and the run reports what was sent. For a probe
   * that runs "until Ctrl-C" or until the operator's change is done.
   */
  readonly stop?: AbortSignal;
}

/** Which server answered: the first line of the body, a header, or a regex over the body. */
export function identifyServer(response: HttpResponse, from: ServerFrom): string | undefined {
  const clip = (s: string) => s.trim().slice(0, 200) || undefined;
  if (from.kind === "header") return clip(response.headers[from.name.toLowerCase()] ?? "");
  const body = response.body.toString("utf8");
  if (from.kind === "body") return clip(body.split("\n")[0] ?? "");
  const m = new RegExp(from.pattern).exec(body);
  return m ? clip(m[1] ?? m[0]) : undefined;
}

interface Connection {
  readonly id: number;
  readonly openedMs: number;
  socket?: Socket;
  closedByPeer: boolean;
  requests: number;
  answered: number;
  servers: Set<string>;
  endedMs?: number;
  end?: ConnectionRecord["end"];
}

const round = (ms: number) => Math.round(ms * 100) / 100;

export async function runProbe(settings: ProbeSettings, hooks: ProbeHooks = {}): Promise<ProbeRun> {
  const url = new URL(settings.url);
  if (url.protocol !== "http:") throw new Error(`only http:// URLs are supported, not ${url.protocol}`);
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const port = Number(url.port || 80);
  const keepAlive = settings.mode === "keep-alive";
  const request = requestBytes(url, keepAlive);
  const startedAt = Date.now();
  const t0 = performance.now();
  const now = () => performance.now() - t0;
  const intervalMs = 1000 / settings.rate;

  const records: RequestRecord[] = [];
  const connections: Connection[] = [];
  /** Keep-alive connections waiting for a request, longest idle first. */
  const idle: Connection[] = [];
  /** Connections opened and not ended (keep-alive: the pool's size). */
  let live = 0;
  let scheduled = 0;
  let inFlight = 0;
  let answered = 0;
  let failed = 0;
  const waiting: number[] = [];
  let stopped = false;
  /** How many requests this run will send: all of them, or those started before a stop. */
  const target = () => (stopped ? scheduled : settings.requests);
  let finish: () => void = () => {};
  const finished = new Promise<void>((r) => {
    finish = r;
  });

  const endConnection = (c: Connection, end: ConnectionRecord["end"]) => {
    if (c.end === undefined) {
      c.end = end;
      c.endedMs = now();
      live--;
    }
    c.socket?.destroy();
  };

  const newConnection = (): Connection => {
    const c: Connection = {
      id: connections.length,
      openedMs: now(),
      closedByPeer: false,
      requests: 0,
      answered: 0,
      servers: new Set(),
    };
    connections.push(c);
    live++;
    return c;
  };

  const attach = async (c: Connection, timeoutMs: number): Promise<void> => {
    const socket = await connect(host, port, timeoutMs);
    c.socket = socket;
    // An idle keep-alive connection may be reset or closed by the server at any time.
    socket.on("error", () => {});
    socket.on("close", () => {
      c.closedByPeer = true;
    });
  };

  const runOne = async (index: number) => {
    const dueMs = index * intervalMs;
    const startMs = now();
    let conn: Connection | undefined;
    const record = (r: Omit<RequestRecord, "index" | "dueMs" | "startMs" | "latencyMs" | "connection">) => {
      records.push({
        index,
        dueMs: round(dueMs),
        startMs: round(startMs),
        latencyMs: round(now() - startMs),
        connection: conn?.id ?? -1,
        ...r,
      });
      if (r.outcome === "answered") answered++;
      else failed++;
    };
    try {
      // Idle connections the server closed meanwhile leave the pool first.
      for (const closed of idle.filter((c) => c.closedByPeer)) {
        idle.splice(idle.indexOf(closed), 1);
        endConnection(closed, "server-closed");
      }
      if (keepAlive && live >= settings.concurrency) conn = idle.shift();
      if (!conn) {
        conn = newConnection();
        conn.requests++;
        await attach(conn, settings.timeoutMs);
      } else conn.requests++;
      const left = Math.max(1, settings.timeoutMs - (now() - startMs));
      const response = await exchange(conn.socket!, request, left);
      const server = identifyServer(response, settings.serverFrom);
      if (server !== undefined) conn.servers.add(server);
      const outcome = response.status >= 500 ? "http-error" : "answered";
      if (outcome === "answered") conn.answered++;
      record({
        outcome,
        status: response.status,
        ...(server !== undefined ? { server } : {}),
        ...(outcome === "http-error" ? { detail: `HTTP ${response.status}` } : {}),
      });
      if (keepAlive && !response.closes && !conn.closedByPeer) idle.push(conn);
      else endConnection(conn, keepAlive ? "server-closed" : "done");
    } catch (error) {
      const failure = error instanceof ProbeFailure ? error : failureOf(error, "request");
      record({ outcome: failure.outcome, detail: failure.detail });
      if (conn) endConnection(conn, failure.outcome);
    }
  };

  const dispatch = () => {
    if (stopped) return;
    const due = Math.min(settings.requests, Math.floor(now() / intervalMs) + 1);
    while (scheduled < due) waiting.push(scheduled++);
    while (waiting.length > 0 && inFlight < settings.concurrency) {
      const index = waiting.shift()!;
      inFlight++;
      void runOne(index).finally(() => {
        inFlight--;
        if (records.length === target()) finish();
        else dispatch();
      });
    }
    if (scheduled < settings.requests) {
      clearTimeout(timer);
      timer = setTimeout(dispatch, Math.max(0, scheduled * intervalMs - now()));
    }
  };
  let timer: NodeJS.Timeout | undefined;
  const progress = hooks.onProgress
    ? setInterval(
        () =>
          hooks.onProgress?.({
            elapsedMs: now(),
            started: records.length + inFlight,
            answered,
            failed,
            inFlight,
          }),
        1000,
      )
    : undefined;
  const onStop = () => {
    if (stopped) return;
    stopped = true;
    clearTimeout(timer);
    // Requests due but not started (every connection busy) are dropped: never sent.
    scheduled -= waiting.length;
    waiting.length = 0;
    if (records.length === target()) finish();
  };
  if (hooks.stop?.aborted) onStop();
  else hooks.stop?.addEventListener("abort", onStop, { once: true });
  if (settings.requests > 0 && !stopped) {
    dispatch();
    await finished;
  }
  hooks.stop?.removeEventListener("abort", onStop);
  clearTimeout(timer);
  clearInterval(progress);
  const durationMs = now();
  for (const c of idle) endConnection(c, "done");
  return {
    settings,
    startedAt,
    stopped,
    durationMs: round(durationMs),
    requests: records.sort((a, b) => a.index - b.index),
    connections: connections.map((c) => ({
      id: c.id,
      openedMs: round(c.openedMs),
      ...(c.endedMs !== undefined ? { endedMs: round(c.endedMs) } : {}),
      end: c.end ?? "open",
      requests: c.requests,
      answered: c.answered,
      servers: [...c.servers].sort(),
    })),
  };
}
