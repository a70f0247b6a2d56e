// lab/run.ts collects a command's output: nothing the command wrote before it
// exited may be lost, also when the exit is seen before that output was read
// and the process was too busy to poll in time (day2-limit's flaky snapshots).
import { EventEmitter } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { connect, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { collectOutput, type OutputSource, run } from "../../src/lab/run.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A connected pair of local sockets: what a child's stdout is to us (data arrives by polling). */
async function socketPair(): Promise<{ ours: Socket; theirs: Socket; close: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), "lvsplay-run-"));
  dirs.push(dir);
  const path = join(dir, "s");
  const server = createServer();
  const accepted = new Promise<Socket>((r) => server.once("connection", r));
  await new Promise<void>((r) => server.listen(path, r));
  const theirs = connect(path);
  const ours = await accepted;
  return { ours, theirs, close: () => server.close() };
}

const busy = (ms: number) => {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // The machine is busy: this process gets no turn of its event loop.
  }
};

describe("collectOutput", () => {
  it("keeps output written before the exit when the exit was seen first and the process then stalled past the grace period", async () => {
    const { ours, theirs, close } = await socketPair();
    const child = Object.assign(new EventEmitter(), { stdout: ours, stderr: new PassThrough() });
    const result = collectOutput(child as unknown as OutputSource);
    await new Promise<void>((done) =>
      setImmediate(() => {
        // The command wrote, then exited; the exit is handled before the output is
        // polled, and the process stalls longer than the grace period before its next turn.
        theirs.write("net.ipv4.conf.all.arp_ignore = 1\n");
        child.emit("exit", 0);
        busy(800);
        done();
      }),
    );
    const r = await result;
    expect(r).toEqual({ stdout: "net.ipv4.conf.all.arp_ignore = 1\n", stderr: "", code: 0 });
    theirs.destroy();
    close();
  });

  it("still gives up on pipes a daemon keeps open (after the grace period and a quiet poll)", async () => {
    const started = Date.now();
    const r = await run(["sh", "-c", "sleep 5 & echo started"], { timeoutMs: 60_000 });
    expect(r).toEqual({ stdout: "started\n", stderr: "", code: 0 });
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it("collects both streams and the exit status of an ordinary command", async () => {
    expect(await run(["sh", "-c", "echo out; echo err >&2; exit 3"])).toEqual({
      stdout: "out\n",
      stderr: "err\n",
      code: 3,
    });
  });
});
