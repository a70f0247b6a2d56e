// The exporter convention: GET /metrics answers the text exposition format;
// / links to it; anything else is 404. `--listen [HOST]:PORT` like an
// exporter's listen address (":9808" is every address).
import { createServer, type Server } from "node:http";

export interface ListenAddress {
  /** Absent: every address. */
  readonly host?: string;
  readonly port: number;
}

/** `:9808`, `127.0.0.1:9808`, `[::1]:9808`, `localhost:9808`; throws a readable error otherwise. */
export function parseListen(value: string): ListenAddress {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]*)):(\d{1,5})$/.exec(value);
  const port = Number(m?.[3]);
  if (!m || !Number.isInteger(port) || port > 65535)
    throw new Error(`--listen ${JSON.stringify(value)}: expected [HOST]:PORT, e.g. :9808 or 127.0.0.1:9808`);
  const host = m[1] ?? m[2];
  return host ? { host, port } : { port };
}

const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** Starts serving; resolves once listening (rejects when the address is taken). */
export function serveMetrics(address: ListenAddress, metrics: () => string): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { Allow: "GET, HEAD" }).end();
      return;
    }
    if (path === "/metrics") {
      const body = metrics();
      res.writeHead(200, { "Content-Type": CONTENT_TYPE, "Content-Length": Buffer.byteLength(body) });
      res.end(req.method === "HEAD" ? undefined : body);
    } else if (path === "/") {
      res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
      res.end(
        '<html><head><title>lvsplay audit --watch</title></head><body><a href="/metrics">Metrics</a></body></html>\n',
      );
    } else res.writeHead(404).end();
  });
  // Scrapes are short: an idle keep-alive connection must not hold shutdown up.
  server.keepAliveTimeout = 5000;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ port: address.port, ...(address.host ? { host: address.host } : {}) }, () => {
      server.off("error", reject);
      resolve(server);
    });
  });
}
