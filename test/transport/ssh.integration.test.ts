// Integration tests of the SSH transport against real, private sshd processes.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Host, Inventory } from "../../src/inventory/model.js";
import { SshConnector, type SshConnectorOptions } from "../../src/transport/ssh.js";
import { UnreachableError } from "../../src/transport/types.js";
import { startSshd, type TestSshd } from "../support/sshd.js";

let sshd1: TestSshd;
let sshd2: TestSshd; // its known_hosts entry is hashed

function host(name: string, sshd: TestSshd, extra: Partial<Host["connection"]> = {}): Host {
  return {
    name,
    connection: {
      address: sshd.address,
      port: sshd.port,
      user: "root",
      identityFiles: [sshd.keyFile],
      agent: false,
      knownHostsFiles: [sshd.knownHostsFile],
      become: { enabled: true },
      connectTimeoutSec: 5,
      timeoutScale: 1,
      ...extra,
    },
    groups: [],
    vars: {},
  };
}

function inventory(...hosts: Host[]): Inventory {
  return { file: "/test/inventory.yml", hosts, groups: {}, vars: {} };
}

/** A connector plus a count of SSH connections it opened, per host. */
function counted(inv: Inventory, options: SshConnectorOptions = {}) {
  const connections: Record<string, number> = {};
  const connector = new SshConnector(inv, {
    ...options,
    onConnect: (name) => {
      connections[name] = (connections[name] ?? 0) + 1;
    },
  });
  return { connector, connections };
}

beforeAll(async () => {
  [sshd1, sshd2] = await Promise.all([startSshd(), startSshd({ hashKnownHosts: true })]);
});
afterAll(async () => {
  await Promise.all([sshd1?.stop(), sshd2?.stop()]);
});

describe("SshConnector against a real sshd", () => {
  it("returns stdout, stderr and the exit code exactly, trailing newlines included", async () => {
    const { connector } = counted(inventory(host("lb1", sshd1)));
    const t = await connector.connect("lb1");
    try {
      const result = await t.run({
        argv: ["sh", "-c", "printf ' out \\n\\n'; printf 'err\\n\\n' >&2; exit 7"],
      });
      expect(result).toEqual({ stdout: " out \n\n", stderr: "err\n\n", code: 7 });
      // Arguments reach the program verbatim: no shell expansion on the far side.
      const echoed = await t.run({ argv: ["printf", "%s|", "$HOME", "a b", "it's", "*", "x\ny"] });
      expect(echoed.stdout).toBe("$HOME|a b|it's|*|x\ny|");
      // Large multi-byte output split across many SSH packets decodes intact.
      const big = await t.run({
        argv: ["sh", "-c", "for i in $(seq 20000); do printf 'ünï✓%s\\n' $i; done"],
      });
      const lines = big.stdout.split("\n");
      expect(lines).toHaveLength(20001);
      expect(lines[19999]).toBe("ünï✓20000");
      expect(big.stdout).not.toContain("\uFFFD");
    } finally {
      await connector.closeAll();
    }
  });

  it("passes stdin through unchanged", async () => {
    const { connector } = counted(inventory(host("lb1", sshd1)));
    const t = await connector.connect("lb1");
    try {
      const input = `line 1\n'quoted' "double" $VAR\n\n${"x".repeat(300_000)}\nünïcødé\n\n`;
      const result = await t.run({ argv: ["cat"], stdin: input });
      expect(result.code).toBe(0);
      expect(result.stdout).toBe(input);
    } finally {
      await connector.closeAll();
    }
  });

  it("does not wrap become commands in sudo when the login user is root", async () => {
    // sudo is not even installed here: wrapping would fail with 127.
    const inv = inventory(host("lb1", sshd1, { become: { enabled: true, passwordEnv: "LVSPLAY_UNSET_PW" } }));
    const { connector } = counted(inv);
    const t = await connector.connect("lb1");
    try {
      expect(await t.run({ argv: ["id", "-u"], become: true })).toEqual({
        stdout: "0\n",
        stderr: "",
        code: 0,
      });
    } finally {
      await connector.closeAll();
    }
  });

  it("reports code null for a command killed by a signal", async () => {
    const { connector } = counted(inventory(host("lb1", sshd1)));
    const t = await connector.connect("lb1");
    try {
      expect((await t.run({ argv: ["sh", "-c", "kill -9 $$"] })).code).toBeNull();
    } finally {
      await connector.closeAll();
    }
  });

  it("runs 25 commands at once over ONE connection within the channel bound, and measures latency", async () => {
    const { connector, connections } = counted(inventory(host("lb1", sshd1)));
    const connectStart = performance.now();
    const t = await connector.connect("lb1");
    const connectMs = performance.now() - connectStart;
    try {
      expect(await connector.connect("lb1")).toBe(t); // same host → same transport
      const results = await Promise.all(
        Array.from({ length: 25 }, (_, i) =>
          t.run({ argv: ["sh", "-c", 'sleep 0.1; echo "$1"', "sh", String(i)], timeoutSec: 20 }),
        ),
      );
      expect(results.map((r) => r.code)).toEqual(Array(25).fill(0));
      expect(results.map((r) => r.stdout)).toEqual(Array.from({ length: 25 }, (_, i) => `${i}\n`));
      expect(connections).toEqual({ lb1: 1 });

      const runs = 20;
      const latencyStart = performance.now();
      for (let i = 0; i < runs; i++) expect((await t.run({ argv: ["true"] })).code).toBe(0);
      const latencyMs = (performance.now() - latencyStart) / runs;
      console.log(
        `ssh transport: connect ${connectMs.toFixed(1)} ms; reused-connection command ${latencyMs.toFixed(1)} ms`,
      );
      expect(connections).toEqual({ lb1: 1 });
    } finally {
      await connector.closeAll();
    }
  });

  it("needs that bound: without it sshd (MaxSessions 10) refuses channels", async () => {
    const { connector } = counted(inventory(host("lb1", sshd1)), { maxChannels: 25 });
    const t = await connector.connect("lb1");
    try {
      const outcomes = await Promise.allSettled(
        // Longer than all channel-open retries together, so the extra channels stay refused.
        Array.from({ length: 25 }, () => t.run({ argv: ["sleep", "2"] })),
      );
      const refused = outcomes.filter((o) => o.status === "rejected");
      expect(refused.length).toBeGreaterThan(0);
      expect(String((refused[0] as PromiseRejectedResult).reason)).toMatch(/Channel open failure/i);
      // A refused channel is not a dead connection.
      expect((await t.run({ argv: ["true"] })).code).toBe(0);
    } finally {
      await connector.closeAll();
    }
  });

  it("kills a command on the host when its timeout passes and reports it", async () => {
    const { connector } = counted(inventory(host("lb1", sshd1)));
    const t = await connector.connect("lb1");
    try {
      const started = performance.now();
      const result = await t.run({ argv: ["sleep", "31.517"], timeoutSec: 1 });
      const elapsed = performance.now() - started;
      expect(result.code).toBe(124);
      expect(result.stderr).toMatch(/timed out after 1s \(killed on the host\): sleep 31\.517\n$/);
      expect(elapsed).toBeLessThan(3000);
      // The remote process is really gone (closing a channel alone would leave it running).
      const left = await t.run({ argv: ["pgrep", "-f", "^sleep 31.517$"] });
      expect(left.code).toBe(1);
    } finally {
      await connector.closeAll();
    }
  });

  it("multiplies the limit by the host's timeout_scale and says so when it is hit", async () => {
    const { connector } = counted(inventory(host("slow", sshd1, { timeoutScale: 3 })));
    const t = await connector.connect("slow");
    try {
      const started = performance.now();
      // 0.5 s × 3: killed after 2 s (ceil of 1.5), not after 0.5 s.
      const result = await t.run({ argv: ["sleep", "31.519"], timeoutSec: 0.5 });
      const elapsed = performance.now() - started;
      expect(result.code).toBe(124);
      expect(result.stderr).toBe(
        "lvsplay: command timed out after 2s (limit 0.5 s × timeout_scale 3; killed on the host): sleep 31.519\n",
      );
      expect(elapsed).toBeGreaterThanOrEqual(1950);
    } finally {
      await connector.closeAll();
    }
  });

  it("accepts a hashed known_hosts entry", async () => {
    expect(readFileSync(sshd2.knownHostsFile, "utf8")).toMatch(/^\|1\|/);
    const { connector } = counted(inventory(host("lb2", sshd2)));
    const t = await connector.connect("lb2");
    try {
      expect((await t.run({ argv: ["echo", "ok"] })).stdout).toBe("ok\n");
    } finally {
      await connector.closeAll();
    }
  });

  it("refuses a host whose key does not match known_hosts, naming the file and fingerprint", async () => {
    // known_hosts claims sshd1's address has sshd2's host key.
    const file = join(sshd1.dir, "known_hosts_wrong");
    writeFileSync(file, `[${sshd1.address}]:${sshd1.port} ${sshd2.hostKeyPub}\n`);
    const { connector, connections } = counted(inventory(host("lb1", sshd1, { knownHostsFiles: [file] })));
    const error = await connector.connect("lb1").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnreachableError);
    const message = (error as Error).message;
    expect(message).toContain("HOST KEY MISMATCH");
    expect(message).toContain(file);
    expect(message).toContain(fingerprintOf(sshd1)); // what the server presented
    expect(message).toContain(fingerprintOf(sshd2)); // what the file expected
    expect(connections).toEqual({});
  });

  it("refuses an unknown host by default and records it only with acceptNewHostKeys", async () => {
    const file = join(sshd1.dir, "known_hosts_new");
    writeFileSync(file, "# nothing yet\n");
    const inv = inventory(host("lb1", sshd1, { knownHostsFiles: [file] }));

    const strict = counted(inv).connector;
    const error = await strict.connect("lb1").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnreachableError);
    expect((error as Error).message).toMatch(/is not in .*known_hosts_new/);
    expect((error as Error).message).toContain(fingerprintOf(sshd1));
    expect(readFileSync(file, "utf8")).toBe("# nothing yet\n");

    const accepting = counted(inv, { acceptNewHostKeys: true }).connector;
    const t = await accepting.connect("lb1");
    expect((await t.run({ argv: ["echo", "hi"] })).stdout).toBe("hi\n");
    await accepting.closeAll();
    const [keyType, keyBase64] = sshd1.hostKeyPub.split(" ");
    expect(readFileSync(file, "utf8")).toBe(
      `# nothing yet\n[${sshd1.address}]:${sshd1.port} ${keyType} ${keyBase64}\n`,
    );

    // Once recorded, the strict default accepts it.
    const again = counted(inv).connector;
    expect((await (await again.connect("lb1")).run({ argv: ["true"] })).code).toBe(0);
    await again.closeAll();
  });

  it("fails with UnreachableError for a wrong key or a closed port", async () => {
    const wrongKey = counted(inventory(host("lb1", sshd1, { identityFiles: [sshd2.keyFile] }))).connector;
    await expect(wrongKey.connect("lb1")).rejects.toThrow(/authentication failed/);
    const closed = counted(inventory(host("lb1", sshd1, { port: 1, connectTimeoutSec: 2 }))).connector;
    await expect(closed.connect("lb1")).rejects.toBeInstanceOf(UnreachableError);
  });
});

/** The sshd's host key fingerprint as ssh-keygen prints it (independent of our code). */
function fingerprintOf(sshd: TestSshd): string {
  return sshd.hostKeyFingerprint;
}
