// The load generator against real servers on 127.0.0.1: real TCP connections,
// real refusals, resets and silences, real HTTP framing (lengths, chunks).
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createTcpServer, type Socket, type Server as TcpServer } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../../src/lab/run.js";
import { runProbe } from "../../src/probe/run.js";
import { summarize } from "../../src/probe/stats.js";
import type { ProbeSettings } from "../../src/probe/types.js";

const BIN = fileURLToPath(new URL("../../bin/lvsplay.js", import.meta.url));

const listen = (server: Server | TcpServer): Promise<number> =>
  new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const a = server.address();
      resolve(typeof a === "object" && a ? a.port : 0);
    });
  });
const close = (server: Server | TcpServer) => new Promise<void>((r) => server.close(() => r()));

const settings = (port: number, extra: Partial<ProbeSettings> = {}): ProbeSettings => ({
  url: `http://127.0.0.1:${port}/`,
  requests: 100,
  rate: 200,
  concurrency: 10,
  mode: "new-connection",
  timeoutMs: 10_000,
  serverFrom: { kind: "body" },
  ...extra,
});

/** Two "real servers" behind one port: each connection is served by a or b, alternately. */
function twoServers() {
  let connections = 0;
  let open = 0;
  let maxOpen = 0;
  const server = createHttpServer((req, res) => {
    const name = (req.socket as Socket & { served?: string }).served;
    if (req.url === "/header") {
      res.setHeader("X-Served-By", `node-${name}`);
      res.end("anonymous\n");
    } else if (req.url === "/chunked") {
      res.write("<html><title>web-");
      res.end(`${name}</title></html>\n`);
    } else res.end(`${name}\nmore body lines\n`);
  });
  server.keepAliveTimeout = 60_000;
  server.on("connection", (socket: Socket & { served?: string }) => {
    socket.served = connections++ % 2 === 0 ? "a" : "b";
    open++;
    maxOpen = Math.max(maxOpen, open);
    socket.on("close", () => open--);
  });
  return { server, maxOpen: () => maxOpen, connections: () => connections };
}

describe("lvsplay probe against real servers on 127.0.0.1", () => {
  const web = twoServers();
  let port = 0;
  beforeAll(async () => {
    port = await listen(web.server);
  });
  afterAll(() => close(web.server));

  it("new connection per request: every request answered, per server, at the schedule, bounded", async () => {
    const before = web.connections();
    const run = await runProbe(settings(port, { requests: 300, rate: 150, concurrency: 8 }));
    const s = summarize(run);
    console.log(`new-connection: ${s.answered}/${s.sent}, p50 ${s.latencyMs?.p50} ms, ${run.durationMs} ms`);
    expect(s.answered).toBe(300);
    expect(s.failed).toBe(0);
    expect(s.byServer).toEqual({ a: 150, b: 150 });
    // One TCP connection each, never more than 8 at once, never faster than the schedule.
    expect(web.connections() - before).toBe(300);
    expect(run.connections).toHaveLength(300);
    expect(run.connections.every((c) => c.requests === 1 && c.end === "done")).toBe(true);
    expect(web.maxOpen()).toBeLessThanOrEqual(8);
    expect(run.durationMs).toBeGreaterThanOrEqual((299 / 150) * 1000);
    expect(run.requests.every((r, i) => r.index === i && r.startMs >= r.dueMs - 1)).toBe(true);
    expect(s.latencyMs?.count).toBe(300);
  });

  it("keep-alive: a pool of 4 connections carries every request in turn, each answered by one server", async () => {
    const run = await runProbe(
      settings(port, { requests: 200, rate: 200, concurrency: 4, mode: "keep-alive" }),
    );
    const s = summarize(run);
    expect(s.answered).toBe(200);
    expect(s.connections.opened).toBe(4);
    // In turn, not the most recent idle one again: every connection stays in use.
    for (const c of run.connections) expect(c.requests, JSON.stringify(c)).toBeGreaterThanOrEqual(20);
    expect(s.connections.multiServer).toBe(0);
    expect(s.connections.endedBy).toEqual({ done: s.connections.opened });
    expect(Object.values(s.byServer).reduce((a, b) => a + b, 0)).toBe(200);
  });

  it("stops early on its stop signal: no new request, those in flight finish, the report covers what was sent", async () => {
    const stop = new AbortController();
    let seen = 0;
    const run = await runProbe(settings(port, { requests: 1_000_000, rate: 100, concurrency: 4 }), {
      // Stop once it is under way (progress comes about once a second).
      onProgress: (p) => {
        seen = p.started;
        if (p.started >= 20) stop.abort();
      },
      stop: stop.signal,
    });
    const s = summarize(run);
    console.log(`stopped after ${s.sent} requests (last progress: ${seen} started)`);
    expect(run.stopped).toBe(true);
    expect(s.sent).toBeGreaterThanOrEqual(20);
    expect(s.sent).toBeLessThan(1_000_000);
    // Every request that started was completed and recorded, with contiguous indexes.
    expect(s.answered).toBe(s.sent);
    expect(run.requests.map((r) => r.index)).toEqual([...Array(s.sent).keys()]);
    // Stopped before it started: nothing is sent.
    const early = new AbortController();
    early.abort();
    const none = await runProbe(settings(port, { requests: 50 }), { stop: early.signal });
    expect(none.stopped).toBe(true);
    expect(none.requests).toEqual([]);
  });

  it("identifies servers by a header or a regex over the body (chunked response)", async () => {
    const byHeader = summarize(
      await runProbe({
        ...settings(port, { requests: 10 }),
        url: `http://127.0.0.1:${port}/header`,
        serverFrom: { kind: "header", name: "x-served-by" },
      }),
    );
    expect(byHeader.byServer).toEqual({ "node-a": 5, "node-b": 5 });
    const byRegex = summarize(
      await runProbe({
        ...settings(port, { requests: 10 }),
        url: `http://127.0.0.1:${port}/chunked`,
        serverFrom: { kind: "body-match", pattern: "<title>([^<]*)</title>" },
      }),
    );
    expect(byRegex.byServer).toEqual({ "web-a": 5, "web-b": 5 });
  });
});

describe("lvsplay probe tells failures apart", () => {
  const servers: (Server | TcpServer)[] = [];
  // Every accepted socket, destroyed before the servers close: a TCP server's
  // close waits for its connections, and a test that failed midway left its own open.
  const accepted: Socket[] = [];
  const tcp = async (onSocket: (s: Socket) => void) => {
    const server = createTcpServer((socket) => {
      accepted.push(socket);
      onSocket(socket);
    });
    servers.push(server);
    return listen(server);
  };
  afterAll(async () => {
    for (const socket of accepted) socket.destroy();
    for (const s of servers) {
      if ("closeAllConnections" in s) s.closeAllConnections();
      await close(s);
    }
  });

  it("refused: nothing listens on the port", async () => {
    const probe = createTcpServer();
    const port = await listen(probe);
    await close(probe);
    const s = summarize(await runProbe(settings(port, { requests: 5 })));
    expect(s.failures.refused).toBe(5);
    expect(s.answered).toBe(0);
    expect(s.outages).toEqual([{ fromMs: expect.any(Number), failures: 5 }]);
  });

  it("reset: the server answers the request with a TCP RST", async () => {
    const port = await tcp((socket) => socket.once("data", () => socket.resetAndDestroy()));
    const run = await runProbe(settings(port, { requests: 5 }));
    expect(summarize(run).failures.reset).toBe(5);
    expect(run.requests[0]?.detail).toMatch(/ECONNRESET/);
  });

  it("timeout: the server accepts and never answers", async () => {
    // Accepted and held (afterAll destroys them).
    const port = await tcp(() => {});
    const run = await runProbe(settings(port, { requests: 3, timeoutMs: 300 }));
    expect(summarize(run).failures.timeout).toBe(3);
    // Not before the limit: Node's own timers can fire up to ~1.5 ms early (src/probe/timer.ts).
    for (const r of run.requests) expect(r.latencyMs).toBeGreaterThanOrEqual(300);
  });

  it("closed: the server closes without a response; http-error: a 5xx status", async () => {
    const closing = await tcp((socket) => socket.once("data", () => socket.end()));
    expect(summarize(await runProbe(settings(closing, { requests: 4 }))).failures.closed).toBe(4);
    const failing = createHttpServer((_req, res) => {
      res.statusCode = 503;
      res.end("busy\n");
    });
    servers.push(failing);
    const s = summarize(await runProbe(settings(await listen(failing), { requests: 4 })));
    expect(s.failures["http-error"]).toBe(4);
    expect(s.answered).toBe(0);
  });

  it("keep-alive against a server that closes every connection: reconnects, all answered", async () => {
    const server = createHttpServer((_req, res) => {
      res.setHeader("Connection", "close");
      res.end("only-once\n");
    });
    servers.push(server);
    const run = await runProbe(
      settings(await listen(server), { requests: 20, mode: "keep-alive", concurrency: 2 }),
    );
    const s = summarize(run);
    expect(s.answered).toBe(20);
    expect(s.connections.opened).toBe(20);
    expect(s.connections.endedBy).toEqual({ "server-closed": 20 });
  });
});

describe("lvsplay probe on the command line", () => {
  const web = twoServers();
  let port = 0;
  beforeAll(async () => {
    port = await listen(web.server);
  });
  afterAll(() => close(web.server));
  const cli = (args: string[]) =>
    run([process.execPath, BIN, "probe", ...args], {
      timeoutMs: 120_000,
      env: { ...process.env, NO_COLOR: "1" },
    });

  it("prints a summary; --json --records gives every request; exit 0", async () => {
    const text = await cli([`http://127.0.0.1:${port}/`, "-n", "40", "-r", "100"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/answered 40 \(100\.0 %\)\s+failed 0/);
    expect(text.stdout).toMatch(/by server: a 20 {2}b 20/);
    expect(text.stdout).toMatch(/latency \(answered\): p50 [\d.]+ m?s {2}p90 .* {2}p99 /);
    const json = await cli([
      `http://127.0.0.1:${port}/`,
      "-n",
      "40",
      "-r",
      "100",
      "-k",
      "--json",
      "--records",
    ]);
    expect(json.code).toBe(0);
    const doc = JSON.parse(json.stdout);
    expect(doc.schemaVersion).toBe(1);
    expect(doc.settings.mode).toBe("keep-alive");
    expect(doc.summary.answered).toBe(40);
    expect(doc.requests).toHaveLength(40);
    expect(doc.requests[0]).toMatchObject({ index: 0, outcome: "answered", status: 200 });
    expect(doc.connections.length).toBeGreaterThan(0);
  });

  it("SIGINT ends an open-ended probe with its summary", async () => {
    const { spawn } = await import("node:child_process");
    const child = spawn(
      process.execPath,
      [BIN, "probe", `http://127.0.0.1:${port}/`, "-n", "1000000", "-r", "50", "--json", "--progress"],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    // Interrupt once it reported answered requests (it is under way), like an operator would.
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
      if (/answered [1-9]/.test(stderr) && child.signalCode === null && !child.killed) child.kill("SIGINT");
    });
    const code = await new Promise<number | null>((r) => child.on("close", (c) => r(c)));
    expect(code, stderr).toBe(0);
    expect(stderr).toMatch(/probe: SIGINT: no new requests/);
    const doc = JSON.parse(stdout);
    expect(doc.stopped).toBe(true);
    expect(doc.summary.sent).toBeGreaterThan(0);
    expect(doc.summary.answered).toBe(doc.summary.sent);
  });

  it("exits 3 when requests failed (beyond --max-failures), 1 on bad flags", async () => {
    const probe = createTcpServer();
    const dead = await listen(probe);
    await close(probe);
    const failed = await cli([`http://127.0.0.1:${dead}/`, "-n", "3", "--json"]);
    expect(failed.code).toBe(3);
    expect(JSON.parse(failed.stdout).summary.failures.refused).toBe(3);
    expect((await cli([`http://127.0.0.1:${dead}/`, "-n", "3", "--max-failures", "3"])).code).toBe(0);
    const bad = await cli([`http://127.0.0.1:${port}/`, "--rate", "0"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^lvsplay: --rate: expected a number 0.01-100000, found "0"/);
    const https = await cli(["https://127.0.0.1/"]);
    expect(https.code).toBe(1);
    expect(https.stderr).toMatch(/only http:\/\/ is supported/);
  });
});
