// Machine side of the guest agent protocol: JSON over HTTP to 127.0.0.1:ctlPort
// (a QEMU hostfwd), authenticated with a bearer token.
import { request } from "node:http";
import type { CommandResult } from "../../transport/types.js";
import { seconds } from "../wait.js";

export interface AgentEndpoint {
  readonly port: number;
  readonly token: string;
}

export function agentCall<T>(ep: AgentEndpoint, path: string, body: unknown, timeoutMs: number): Promise<T> {
  const payload = Buffer.from(JSON.stringify(body ?? {}));
  return new Promise((resolvePromise, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port: ep.port,
        path,
        method: "POST",
        headers: {
          authorization: `Bearer ${ep.token}`,
          "content-type": "application/json",
          "content-length": payload.length,
        },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          if (res.statusCode !== 200) {
            reject(new Error(`guest agent ${path}: HTTP ${res.statusCode} ${text}`));
            return;
          }
          try {
            resolvePromise(JSON.parse(text) as T);
          } catch (e) {
            reject(new Error(`guest agent ${path}: bad JSON (${String(e)})`));
          }
        });
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`guest agent ${path}: no answer in ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end(payload);
  });
}

export interface ExecRequest {
  readonly argv: readonly string[];
  readonly stdin?: string;
  readonly timeoutSec?: number;
}

export async function agentExec(ep: AgentEndpoint, req: ExecRequest): Promise<CommandResult> {
  // The HTTP wait outlasts the guest-side kill so the result (code null) still arrives.
  const waitMs = req.timeoutSec ? (req.timeoutSec + 30) * 1000 : 30 * 60 * 1000;
  const r = await agentCall<{ stdout: string; stderr: string; code: number | null }>(
    ep,
    "/exec",
    req,
    waitMs,
  );
  return { stdout: r.stdout, stderr: r.stderr, code: r.code };
}

/**
 * Polls /ping until the agent answers; resolves with the elapsed milliseconds.
 * Under emulation on a busy machine the guest may need minutes to boot and
 * start Node: the wait ends at once when QEMU exits, otherwise only after
 * `limitMs` (a hang guard). A ping that connects gets long to answer.
 */
export async function waitForAgent(
  ep: AgentEndpoint,
  limitMs: number,
  stillRunning: () => boolean,
): Promise<number> {
  const started = Date.now();
  let lastError = "";
  while (Date.now() - started < limitMs) {
    if (!stillRunning()) throw new Error(`QEMU exited during boot (after ${seconds(Date.now() - started)})`);
    try {
      await agentCall(ep, "/ping", {}, 30_000);
      return Date.now() - started;
    } catch (e) {
      lastError = String(e);
    }
    // Polling is cheap for the machine; the guest is what is slow.
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `the guest agent did not answer within ${seconds(Date.now() - started)} of starting QEMU (limit; last error: ${lastError})`,
  );
}
