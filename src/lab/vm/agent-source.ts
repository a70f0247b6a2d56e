// Source of the guest agent: a dependency-free Node script the guest runs from
// the state share (Node comes from the shared root). It answers authenticated
// HTTP requests on the guest's user-net address, reached from the machine only
// through a QEMU hostfwd on 127.0.0.1. Plain JS text so it needs no build step.

export const AGENT_PORT = 7001;

/** Config file the agent reads: { token, address, port, logFile }. */
export interface AgentConfig {
  readonly token: string;
  readonly address: string;
  readonly port: number;
  readonly logFile: string;
}

export const AGENT_SOURCE = String.raw`// lvsplay guest agent (generated; runs inside the VM)
import { spawn } from "node:child_process";
import { appendFileSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import { timingSafeEqual } from "node:crypto";

const config = JSON.parse(readFileSync(process.argv[2], "utf8"));
const log = (msg) => {
  try { appendFileSync(config.logFile, new Date().toISOString() + " " + msg + "\n"); } catch {}
};
const expected = Buffer.from("Bearer " + config.token);
const authorized = (req) => {
  const got = Buffer.from(req.headers.authorization ?? "");
  return got.length === expected.length && timingSafeEqual(got, expected);
};
const ENV = {
  PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  HOME: "/root",
  LANG: "C.UTF-8",
};

function run(req) {
  return new Promise((resolve) => {
    const argv = req.argv;
    if (!Array.isArray(argv) || argv.length === 0 || !argv.every((a) => typeof a === "string")) {
      resolve({ stdout: "", stderr: "agent: argv must be a non-empty string array", code: 2 });
      return;
    }
    const child = spawn(argv[0], argv.slice(1), { env: ENV, cwd: "/", stdio: ["pipe", "pipe", "pipe"] });
    const out = [];
    const err = [];
    let timer;
    if (req.timeoutSec > 0) timer = setTimeout(() => child.kill("SIGKILL"), req.timeoutSec * 1000);
    child.stdout.on("data", (d) => out.push(d));
    child.stderr.on("data", (d) => err.push(d));
    child.stdin.on("error", () => {});
    child.on("error", (e) => {
      clearTimeout(timer);
      resolve({ stdout: "", stderr: "agent: " + e.message, code: 127 });
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8"), code, signal });
    });
    child.stdin.end(typeof req.stdin === "string" ? req.stdin : "");
  });
}

const server = createServer((req, res) => {
  const reply = (status, body) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  if (!authorized(req)) return reply(401, { error: "unauthorized" });
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", async () => {
    try {
      const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString("utf8")) : {};
      if (req.url === "/ping") return reply(200, { ok: true, uptimeSec: process.uptime() });
      if (req.url === "/exec") {
        const result = await run(body);
        log("exec " + JSON.stringify(body.argv) + " -> " + result.code);
        return reply(200, result);
      }
      if (req.url === "/poweroff") {
        reply(200, { ok: true });
        log("poweroff requested");
        // busybox init (PID 1) runs the shutdown actions, then powers the VM off.
        setTimeout(() => spawn("/bin/busybox", ["poweroff"], { stdio: "ignore" }), 100);
        return;
      }
      reply(404, { error: "unknown path " + req.url });
    } catch (e) {
      reply(400, { error: String(e) });
    }
  });
});
server.listen(config.port, config.address, () => log("listening on " + config.address + ":" + config.port));
`;
