// The client probe run for real with curl against local listeners: answers are
// recorded per request, and each request's limit follows the client's timeout_scale.
import { createServer, type Server } from "node:http";
import { createServer as createTcpServer, type Socket, type Server as TcpServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gatherFacts } from "../../src/engine/gather.js";
import { httpProbeRequest, REQUEST_LIMIT_SEC } from "../../src/facts/http-probe.js";
import type { Host } from "../../src/inventory/model.js";
import { LocalTransport } from "../../src/transport/local.js";
import { host } from "../lvs/helpers/inventory.js";

const client = (timeoutScale: number): Host => {
  const h = host("client", "127.0.0.1", ["clients"]);
  return { ...h, connection: { ...h.connection, timeoutScale } };
};

let answering: Server;
let silent: TcpServer;
const held: Socket[] = [];
const port = (s: Server | TcpServer) => (s.address() as { port: number }).port;

beforeAll(async () => {
  answering = createServer((_req, res) => res.end("rs1\nmore\n"));
  // Accepts the connection and never answers: only the request's limit ends it.
  silent = createTcpServer((socket) => held.push(socket));
  await Promise.all([
    new Promise<void>((r) => answering.listen(0, "127.0.0.1", r)),
    new Promise<void>((r) => silent.listen(0, "127.0.0.1", r)),
  ]);
});
afterAll(async () => {
  for (const s of held) s.destroy();
  await Promise.all([new Promise((r) => answering.close(r)), new Promise((r) => silent.close(r))]);
});

describe("http.probe", () => {
  it("gives each request REQUEST_LIMIT_SEC × the client's timeout_scale", () => {
    expect(httpProbeRequest(client(1), "http://10.0.0.1:80/", 6).args).toEqual([
      "http://10.0.0.1:80/",
      "6",
      String(REQUEST_LIMIT_SEC),
    ]);
    expect(httpProbeRequest(client(10), "http://10.0.0.1:80/", 6).args[2]).toBe(
      String(REQUEST_LIMIT_SEC * 10),
    );
  });

  it("records each answer's first line, and '-' for a request that hit its limit", async () => {
    const t = new LocalTransport();
    const ok = httpProbeRequest(client(1), `http://127.0.0.1:${port(answering)}/`, 3);
    // timeout_scale 1 → 2 s per request.
    const hung = httpProbeRequest(client(1), `http://127.0.0.1:${port(silent)}/`, 2);
    const started = performance.now();
    const facts = await gatherFacts(t, [ok, hung]);
    const elapsed = performance.now() - started;
    expect(facts.get(ok).answers).toEqual(["rs1", "rs1", "rs1"]);
    expect(facts.get(hung).answers).toEqual(["-", "-"]);
    // Both silent requests waited their whole limit (2 × 2 s), not less.
    expect(elapsed).toBeGreaterThanOrEqual(2 * REQUEST_LIMIT_SEC * 1000 - 100);
  });
});
