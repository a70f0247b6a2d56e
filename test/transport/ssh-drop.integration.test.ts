// Connection loss and jump hosts, against real private sshd processes.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Host, Inventory } from "../../src/inventory/model.js";
import { SshConnector } from "../../src/transport/ssh.js";
import { UnreachableError } from "../../src/transport/types.js";
import { startSshd, type TestSshd } from "../support/sshd.js";

let sshdA: TestSshd;
let sshdB: TestSshd;

function host(name: string, sshd: TestSshd, jump?: string): Host {
  return {
    name,
    connection: {
      address: sshd.address,
      port: sshd.port,
      user: "root",
      identityFiles: [sshd.keyFile],
      agent: false,
      knownHostsFiles: [sshd.knownHostsFile],
      become: { enabled: false },
      connectTimeoutSec: 5,
      timeoutScale: 1,
      ...(jump !== undefined ? { jump } : {}),
    },
    groups: [],
    vars: {},
  };
}

function inventory(...hosts: Host[]): Inventory {
  return { file: "/test/inventory.yml", hosts, groups: {}, vars: {} };
}

async function waitFor(condition: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Kill the process whose PID a test command wrote to `file` (the remote host is this machine). */
function killRecorded(file: string): void {
  if (!existsSync(file)) return;
  try {
    process.kill(Number(readFileSync(file, "utf8").trim()), "SIGKILL");
  } catch {
    // already gone
  }
}

beforeAll(async () => {
  [sshdA, sshdB] = await Promise.all([startSshd(), startSshd()]);
});
afterAll(async () => {
  await Promise.all([sshdA?.stop(), sshdB?.stop()]);
});

describe("a dropped SSH connection", () => {
  it("rejects in-flight and later runs with UnreachableError, leaves other hosts working, never crashes", async () => {
    const crashes: unknown[] = [];
    const onCrash = (error: unknown) => crashes.push(error);
    process.on("uncaughtException", onCrash);
    process.on("unhandledRejection", onCrash);
    const opened: string[] = [];
    const connector = new SshConnector(inventory(host("a", sshdA), host("b", sshdB)), {
      onConnect: (name) => opened.push(name),
    });
    try {
      const a = await connector.connect("a");
      const b = await connector.connect("b");
      expect((await a.run({ argv: ["true"] })).code).toBe(0);
      await waitFor(() => sshdA.connectionPids().length > 0, 2000);

      const inFlight = Array.from({ length: 12 }, () => a.run({ argv: ["sleep", "10"] }));
      const settled = Promise.allSettled(inFlight);
      await new Promise((resolve) => setTimeout(resolve, 300)); // let the channels open
      const started = performance.now();
      expect(sshdA.killConnections()).toBeGreaterThanOrEqual(2); // sshd's processes and the sleeps

      const outcomes = await settled;
      const dropMs = performance.now() - started;
      console.log(`ssh transport: dropped connection noticed after ${dropMs.toFixed(1)} ms`);
      for (const outcome of outcomes) {
        expect(outcome.status).toBe("rejected");
        expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(UnreachableError);
        expect(String((outcome as PromiseRejectedResult).reason.message)).toMatch(/host a .*connection lost/);
      }
      expect(dropMs).toBeLessThan(5000);
      await expect(a.run({ argv: ["true"] })).rejects.toBeInstanceOf(UnreachableError);

      // The other host's connection is untouched.
      expect((await b.run({ argv: ["echo", "still here"] })).stdout).toBe("still here\n");
      // Asking again for the dropped host opens a fresh connection.
      const a2 = await connector.connect("a");
      expect(a2).not.toBe(a);
      expect((await a2.run({ argv: ["echo", "back"] })).stdout).toBe("back\n");
      expect(opened.sort()).toEqual(["a", "a", "b"]);
      await new Promise((resolve) => setTimeout(resolve, 100)); // let late events arrive
      expect(crashes).toEqual([]);
    } finally {
      process.off("uncaughtException", onCrash);
      process.off("unhandledRejection", onCrash);
      await connector.closeAll();
    }
  });
});

describe("jump hosts", () => {
  it("tunnels through the jump host's own connection when both are used", async () => {
    const opened: string[] = [];
    const connector = new SshConnector(inventory(host("bastion", sshdB), host("inner", sshdA, "bastion")), {
      onConnect: (name) => opened.push(name),
    });
    try {
      const bastion = await connector.connect("bastion");
      const inner = await connector.connect("inner");
      // sshd A sees the connection coming from sshd B's side of the tunnel.
      const seen = await inner.run({ argv: ["sh", "-c", 'echo "$SSH_CONNECTION"'] });
      expect(seen.stdout.split(" ")[2]).toBe(sshdA.address);
      expect(seen.stdout.split(" ")[0]).toBe("127.0.0.1");
      expect(opened).toEqual(["bastion", "inner"]);
      // Closing the bastion's handle keeps the tunnel alive for the inner host.
      await bastion.close();
      expect((await inner.run({ argv: ["echo", "via"] })).stdout).toBe("via\n");
      await inner.close();
      await expect(bastion.run({ argv: ["true"] })).rejects.toBeInstanceOf(UnreachableError);
    } finally {
      await connector.closeAll();
    }
  });

  it("marks the tunnelled host unreachable when the jump host's connection drops", async () => {
    const connector = new SshConnector(inventory(host("bastion", sshdB), host("inner", sshdA, "bastion")));
    const sleepPidFile = join(sshdA.dir, "sleep.pid");
    try {
      const inner = await connector.connect("inner");
      expect((await inner.run({ argv: ["true"] })).code).toBe(0);
      // The command records its PID so the test can kill it: once its session ends it is orphaned.
      const running = inner.run({ argv: ["sh", "-c", 'echo $$ > "$1"; exec sleep 10', "sh", sleepPidFile] });
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(sshdB.killConnections()).toBeGreaterThan(0);
      await expect(running).rejects.toBeInstanceOf(UnreachableError);
      await expect(inner.run({ argv: ["true"] })).rejects.toThrow(/host inner .*connection lost/);
    } finally {
      await connector.closeAll();
      sshdA.killConnections(); // the tunnelled session on A lost its peer; don't wait for sshd to notice
      killRecorded(sleepPidFile);
    }
  });

  it("opens the jump host on demand and reports a jump failure as unreachable", async () => {
    const opened: string[] = [];
    const broken: Host = {
      ...host("bastion", sshdB),
      connection: { ...host("bastion", sshdB).connection, port: 1 },
    };
    const ok = new SshConnector(inventory(host("bastion", sshdB), host("inner", sshdA, "bastion")), {
      onConnect: (name) => opened.push(name),
    });
    const bad = new SshConnector(inventory(broken, host("inner", sshdA, "bastion")));
    try {
      const inner = await ok.connect("inner");
      expect((await inner.run({ argv: ["echo", "x"] })).stdout).toBe("x\n");
      expect(opened).toEqual(["bastion", "inner"]);
      await expect(bad.connect("inner")).rejects.toThrow(/host inner .*via jump host bastion/);
    } finally {
      await ok.closeAll();
      await bad.closeAll();
    }
  });
});
