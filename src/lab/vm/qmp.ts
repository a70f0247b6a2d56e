// A one-shot QMP (QEMU Machine Protocol) client over the unix socket: used to
// add port forwards to a running guest and to quit QEMU.
import { createConnection } from "node:net";

interface QmpReply {
  return?: unknown;
  error?: { class: string; desc: string };
  event?: string;
  QMP?: unknown;
}

/** Negotiates capabilities, runs one command and returns its `return` value. */
export function qmpCommand(
  socketPath: string,
  execute: string,
  args?: object,
  timeoutMs = 60_000,
): Promise<unknown> {
  return new Promise((resolvePromise, reject) => {
    const sock = createConnection(socketPath);
    let buffer = "";
    let stage: "greeting" | "capabilities" | "command" = "greeting";
    const timer = setTimeout(
      () => finish(new Error(`QMP ${execute}: no answer within ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
    const finish = (err: Error | null, value?: unknown): void => {
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolvePromise(value);
    };
    const send = (msg: object): void => {
      sock.write(`${JSON.stringify(msg)}\n`);
    };
    sock.on("error", (e) => finish(new Error(`QMP ${execute}: ${e.message}`)));
    // `quit` closes the socket instead of always answering.
    sock.on("close", () =>
      finish(stage === "command" && execute === "quit" ? null : new Error("QMP closed")),
    );
    sock.on("data", (chunk) => {
      buffer += chunk.toString("utf8");
      for (let nl = buffer.indexOf("\n"); nl >= 0; nl = buffer.indexOf("\n")) {
        const line = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        if (!line) continue;
        const msg = JSON.parse(line) as QmpReply;
        if (msg.event) continue;
        if (stage === "greeting" && msg.QMP) {
          stage = "capabilities";
          send({ execute: "qmp_capabilities" });
        } else if (msg.error) {
          finish(new Error(`QMP ${execute}: ${msg.error.class}: ${msg.error.desc}`));
        } else if (stage === "capabilities") {
          stage = "command";
          send(args ? { execute, arguments: args } : { execute });
        } else if (stage === "command") {
          finish(null, msg.return);
        }
      }
    });
  });
}

/** Adds a 127.0.0.1:hostPort → guest forward on netdev n0 (HMP has the only command for it). */
export async function addHostForward(socketPath: string, hostPort: number, guest: string, guestPort: number) {
  const out = await qmpCommand(socketPath, "human-monitor-command", {
    "command-line": `hostfwd_add n0 tcp:127.0.0.1:${hostPort}-${guest}:${guestPort}`,
  });
  if (typeof out === "string" && out.trim() !== "") throw new Error(`hostfwd_add ${hostPort}: ${out.trim()}`);
}
