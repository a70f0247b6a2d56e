// A deliberately small HTTP/1.1 client over node:net, so the probe controls
// exactly one TCP connection per request (or per keep-alive connection) and
// can tell apart how a request failed: refused, reset, closed early, timed out.
import { Socket } from "node:net";
import { timerAtLeast } from "./timer.js";
import type { Outcome } from "./types.js";

export interface HttpResponse {
  readonly status: number;
  /** Lower-case header names; repeated headers joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  /** The server asked to close the connection (or it is HTTP/1.0 without keep-alive). */
  readonly closes: boolean;
}

/** A failed exchange: the outcome kind and a detail (error code, phase). */
export class ProbeFailure extends Error {
  constructor(
    readonly outcome: Exclude<Outcome, "answered" | "http-error">,
    readonly detail: string,
  ) {
    super(`${outcome} (${detail})`);
  }
}

export function failureOf(error: unknown, phase: string): ProbeFailure {
  if (error instanceof ProbeFailure) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? "";
  if (code === "ECONNREFUSED") return new ProbeFailure("refused", code);
  if (code === "ECONNRESET" || code === "EPIPE") return new ProbeFailure("reset", `${code} during ${phase}`);
  return new ProbeFailure(
    "error",
    `${code || (error instanceof Error ? error.message : String(error))} during ${phase}`,
  );
}

/** Opens a TCP connection; rejects with a ProbeFailure (refused, timeout, …). */
export function connect(host: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    const timer = timerAtLeast(timeoutMs, () => {
      socket.destroy();
      reject(new ProbeFailure("timeout", "connect"));
    });
    socket.once("error", (e) => {
      timer.clear();
      socket.destroy();
      reject(failureOf(e, "connect"));
    });
    socket.connect({ host, port }, () => {
      timer.clear();
      socket.removeAllListeners("error");
      socket.setNoDelay(true);
      resolve(socket);
    });
  });
}

/** The request bytes: GET with Host, and Connection: keep-alive or close. */
export function requestBytes(url: URL, keepAlive: boolean): Buffer {
  const path = `${url.pathname || "/"}${url.search}`;
  return Buffer.from(
    `GET ${path} HTTP/1.1\r\nHost: ${url.host}\r\nUser-Agent: lvsplay-probe\r\nAccept: */*\r\n` +
      `Connection: ${keepAlive ? "keep-alive" : "close"}\r\n\r\n`,
  );
}

type Parsed = { done: false } | { done: true; response: HttpResponse };

/** Parses one response from the bytes received so far; `ended` once the peer closed (close-delimited bodies). */
export function parseResponse(data: Buffer, ended: boolean): Parsed {
  const headEnd = data.indexOf("\r\n\r\n");
  if (headEnd < 0) return { done: false };
  const lines = data.subarray(0, headEnd).toString("latin1").split("\r\n");
  const statusLine = /^HTTP\/(\d\.\d) (\d{3})/.exec(lines[0] ?? "");
  if (!statusLine)
    throw new ProbeFailure("error", `not an HTTP response: ${JSON.stringify((lines[0] ?? "").slice(0, 60))}`);
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  const status = Number(statusLine[2]);
  const connection = (headers["connection"] ?? "").toLowerCase();
  const closes =
    connection.includes("close") || (statusLine[1] === "1.0" && !connection.includes("keep-alive"));
  const rest = data.subarray(headEnd + 4);
  const done = (body: Buffer): Parsed => ({ done: true, response: { status, headers, body, closes } });
  if (status === 204 || status === 304) return done(Buffer.alloc(0));
  if ((headers["transfer-encoding"] ?? "").toLowerCase().includes("chunked")) {
    const body = dechunk(rest);
    return body ? done(body) : { done: false };
  }
  if (headers["content-length"] !== undefined) {
    const length = Number(headers["content-length"]);
    if (!Number.isInteger(length) || length < 0) throw new ProbeFailure("error", "bad Content-Length");
    return rest.length >= length ? done(rest.subarray(0, length)) : { done: false };
  }
  // No length: the body ends when the server closes the connection.
  return ended ? { done: true, response: { status, headers, body: rest, closes: true } } : { done: false };
}

/** The body of a complete chunked encoding, or undefined while incomplete. */
function dechunk(data: Buffer): Buffer | undefined {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf("\r\n", at);
    if (lineEnd < 0) return undefined;
    const size = Number.parseInt(data.subarray(at, lineEnd).toString("latin1").split(";")[0]!, 16);
    if (Number.isNaN(size)) throw new ProbeFailure("error", "bad chunk size");
    // The last chunk, then optional trailers, then an empty line.
    if (size === 0) return data.indexOf("\r\n\r\n", lineEnd) >= 0 ? Buffer.concat(parts) : undefined;
    const start = lineEnd + 2;
    if (data.length < start + size + 2) return undefined;
    parts.push(data.subarray(start, start + size));
    at = start + size + 2;
  }
}

/**
 * Sends one request on an open socket and resolves with the response; rejects
 * with a ProbeFailure. The socket is left open (the caller decides to reuse or
 * close it); on failure it is destroyed.
 */
export function exchange(socket: Socket, request: Buffer, timeoutMs: number): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    let data = Buffer.alloc(0);
    let settled = false;
    const finish = (error: ProbeFailure | undefined, response?: HttpResponse) => {
      if (settled) return;
      settled = true;
      timer.clear();
      socket.off("data", onData);
      socket.off("end", onEnd);
      socket.off("error", onError);
      socket.off("close", onClose);
      if (error) {
        socket.destroy();
        reject(error);
      } else resolve(response!);
    };
    const attempt = (ended: boolean) => {
      try {
        const parsed = parseResponse(data, ended);
        if (parsed.done) finish(undefined, parsed.response);
        else if (ended)
          finish(
            new ProbeFailure(
              "closed",
              data.length === 0 ? "closed before any response byte" : "closed mid-response",
            ),
          );
      } catch (e) {
        finish(failureOf(e, "response"));
      }
    };
    const onData = (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      attempt(false);
    };
    const onEnd = () => attempt(true);
    const onClose = () => attempt(true);
    const onError = (e: Error) => finish(failureOf(e, data.length === 0 ? "request" : "response"));
    const timer = timerAtLeast(timeoutMs, () => finish(new ProbeFailure("timeout", "response")));
    socket.on("data", onData);
    socket.on("end", onEnd);
    socket.on("error", onError);
    socket.on("close", onClose);
    socket.write(request);
  });
}
