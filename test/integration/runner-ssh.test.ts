// The runner against real sshd hosts (127.0.0.N, own host keys): a small
// playbook that writes a file and runs a command, through the real CLI.
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventBus } from "../../src/engine/events.js";
import { runPlaybook } from "../../src/engine/run.js";
import { loadInventory } from "../../src/inventory/load.js";
import { defaultRegistry } from "../../src/operations/all.js";
import { loadPlaybook } from "../../src/playbook/load.js";
import { SshConnector } from "../../src/transport/ssh.js";
import type { Connector } from "../../src/transport/types.js";
import { startSshd, type TestSshd } from "../support/sshd.js";

const CLI = resolve("bin/lvsplay.js");
let work: string;
let a: TestSshd;
let b: TestSshd;

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function lvsplay(args: string[], during?: (child: ReturnType<typeof spawn>) => void): Promise<CliResult> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, NO_COLOR: "1", CI: "1" },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => done({ code, stdout, stderr }));
    during?.(child);
  });
}

/** Resolves once a process named `name` runs below `ancestor` (read from /proc); gives up after 2 min. */
async function runningUnder(ancestor: number, name: string): Promise<void> {
  const parentOf = (pid: string): number => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    } catch {
      return 0;
    }
  };
  const below = (pid: string): boolean => {
    for (let p = parentOf(pid); p > 1; p = parentOf(String(p))) if (p === ancestor) return true;
    return false;
  };
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
      let comm = "";
      try {
        comm = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
      } catch {
        continue;
      }
      if (comm === name && below(pid)) return;
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function writeInventory(name: string, knownHosts: { a: string; b: string }): string {
  const file = join(work, name);
  const host = (s: TestSshd, kh: string, dir: string) =>
    `    address: ${s.address}\n    port: ${s.port}\n    identity: ${s.keyFile}\n    known_hosts: ${kh}\n    groups: [web]\n    vars: { dir: ${dir} }\n`;
  writeFileSync(
    file,
    `defaults:\n  user: root\n  connect_timeout: 5\nhosts:\n  a:\n${host(a, knownHosts.a, join(work, "a"))}  b:\n${host(b, knownHosts.b, join(work, "b"))}`,
  );
  return file;
}

const PLAYBOOK = `name: smoke
handlers:
  - name: note reload
    op: command
    args: { argv: [sh, -c, 'echo reloaded >> "$0"', "{{ dir }}/handler.log"] }
stages:
  - name: files
    hosts: web
    tasks:
      - name: app config
        op: file
        args: { path: "{{ dir }}/app.conf", content: "listen = 80\\nworkers = 4\\n", mode: "0640" }
        notify: [note reload]
      - name: init once
        op: command
        args: { argv: [touch, "{{ dir }}/initialised"], creates: "{{ dir }}/initialised" }
`;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "lvsplay-runner-"));
  [a, b] = await Promise.all([startSshd(), startSshd({ hashKnownHosts: true })]);
  writeFileSync(join(work, "pb.yaml"), PLAYBOOK);
});

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  rmSync(work, { recursive: true, force: true });
});

describe("runner over real SSH", () => {
  it("first run changes, second run is all ok, check after a manual edit shows the diff and touches nothing", async () => {
    const inv = writeInventory("inv.yaml", { a: a.knownHostsFile, b: b.knownHostsFile });
    const pb = join(work, "pb.yaml");

    const first = await lvsplay(["apply", inv, "--playbook", pb, "--json"]);
    expect(first.code, first.stderr).toBe(0);
    const r1 = JSON.parse(first.stdout);
    expect(r1.recap.a).toEqual({ ok: 0, changed: 3, failed: 0, skipped: 0, unreachable: 0 });
    expect(r1.recap.b).toEqual({ ok: 0, changed: 3, failed: 0, skipped: 0, unreachable: 0 });
    expect(readFileSync(join(work, "a", "app.conf"), "utf8")).toBe("listen = 80\nworkers = 4\n");
    expect(statSync(join(work, "a", "app.conf")).mode & 0o777).toBe(0o640);

    const second = await lvsplay(["apply", inv, "--playbook", pb, "--json"]);
    expect(second.code).toBe(0);
    const r2 = JSON.parse(second.stdout);
    expect(r2.recap.a).toEqual({ ok: 2, changed: 0, failed: 0, skipped: 0, unreachable: 0 });
    expect(readFileSync(join(work, "a", "handler.log"), "utf8")).toBe("reloaded\n");

    writeFileSync(join(work, "b", "app.conf"), "listen = 8080\nworkers = 4\n");
    const before = statSync(join(work, "b", "app.conf")).mtimeMs;
    const check = await lvsplay(["apply", inv, "--playbook", pb, "--check", "--diff", "--plain"]);
    expect(check.code).toBe(2);
    expect(check.stdout).toContain("would change: [b] app config");
    expect(check.stdout).toMatch(/-listen = 8080\n\s*\+listen = 80/);
    expect(check.stdout).toContain("would change: [b] handler: note reload");
    expect(readFileSync(join(work, "b", "app.conf"), "utf8")).toBe("listen = 8080\nworkers = 4\n");
    expect(statSync(join(work, "b", "app.conf")).mtimeMs).toBe(before);
    expect(readFileSync(join(work, "b", "handler.log"), "utf8")).toBe("reloaded\n");
  });

  it("one machine under two inventory names: the run takes the cluster lock once, never locks itself out", async () => {
    const twice = await startSshd({ secondAddress: true });
    try {
      const file = join(work, "same-machine.yaml");
      const host = (address: string, dir: string) =>
        `    address: ${address}\n    port: ${twice.port}\n    identity: ${twice.keyFile}\n    known_hosts: ${twice.knownHostsFile}\n    groups: [web]\n    vars: { dir: ${dir} }\n`;
      writeFileSync(
        file,
        `defaults:\n  user: root\n  connect_timeout: 5\nhosts:\n  one:\n${host(twice.address, join(work, "one"))}  alias:\n${host(twice.secondAddress!, join(work, "alias"))}`,
      );
      const run = await lvsplay(["apply", file, "--playbook", join(work, "pb.yaml"), "--plain"]);
      expect(run.code, run.stdout + run.stderr).toBe(0);
      expect(run.stdout).toMatch(/share a machine with another host of this run/);
      expect(readFileSync(join(work, "alias", "app.conf"), "utf8")).toBe("listen = 80\nworkers = 4\n");
    } finally {
      await twice.stop();
    }
  });

  it("a no-op run opens one SSH connection per host and needs one fact round trip per stage", async () => {
    const inv = writeInventory("inv-noop.yaml", { a: a.knownHostsFile, b: b.knownHostsFile });
    const inventory = loadInventory(inv);
    const registry = defaultRegistry();
    const playbook = loadPlaybook(join(work, "pb.yaml"), { knownOps: new Set(registry.keys()) });
    await lvsplay(["apply", inv, "--playbook", join(work, "pb.yaml")]);
    const connects: string[] = [];
    const connector = new SshConnector(inventory, { onConnect: (h) => connects.push(h) });
    const commands: Record<string, number> = {};
    const counting: Connector = {
      connect: async (host) => {
        const t = await connector.connect(host);
        return {
          hostName: t.hostName,
          run: (c) => {
            commands[host] = (commands[host] ?? 0) + 1;
            return t.run(c);
          },
          close: () => t.close(),
        };
      },
    };
    const started = performance.now();
    const outcome = await runPlaybook({
      inventory,
      playbook,
      registry,
      connector: counting,
      events: new EventBus(),
      options: { check: false, forks: 10, maxFailPercent: 100 },
    });
    const ms = performance.now() - started;
    await connector.closeAll();
    expect(outcome.recap.a!.changed + outcome.recap.b!.changed).toBe(0);
    expect(connects.sort()).toEqual(["a", "b"]);
    // One stage, nothing to change: one batched fact read per host, nothing else.
    expect(commands).toEqual({ a: 1, b: 1 });
    console.log(
      `no-op run of the smoke playbook on 2 hosts: ${ms.toFixed(0)} ms, ${connects.length} SSH connections`,
    );
  });

  it("refuses a host whose key does not match known_hosts, and converges the other (exit 3)", async () => {
    const wrong = join(work, "wrong_known_hosts");
    // b's address with a's host key: a mismatch, not an unknown host.
    writeFileSync(
      wrong,
      readFileSync(a.knownHostsFile, "utf8").replace(`[${a.address}]:${a.port}`, `[${b.address}]:${b.port}`),
    );
    const inv = writeInventory("inv-mismatch.yaml", { a: a.knownHostsFile, b: wrong });
    const run = await lvsplay(["apply", inv, "--playbook", join(work, "pb.yaml"), "--json"]);
    expect(run.code).toBe(3);
    const out = JSON.parse(run.stdout);
    expect(out.recap.b.unreachable).toBe(1);
    expect(out.recap.a.failed + out.recap.a.unreachable).toBe(0);
    expect(run.stderr).toMatch(/host key.*(mismatch|does not match|changed)/i);
  });

  it("a killed connection fails only that host and never crashes the process", async () => {
    const inv = writeInventory("inv-kill.yaml", { a: a.knownHostsFile, b: b.knownHostsFile });
    const slow = join(work, "slow.yaml");
    writeFileSync(
      slow,
      `name: slow\nstages:\n  - name: wait\n    hosts: all\n    tasks:\n      - name: sleep\n        op: command\n        args: { argv: [sh, -c, "if [ \\"$0\\" = b ]; then exec sleep 60; fi; exec sleep 1", "{{ host.name }}"] }\n  - name: after\n    hosts: all\n    tasks:\n      - name: mark\n        op: file\n        args: { path: "{{ dir }}/after", content: "x\\n" }\n`,
    );
    // Kill b's connections once its `sleep` is running (waiting on that, not on a fixed
    // delay: on a busy machine the CLI may not even have connected after a second).
    // b's sleep is long so a busy machine cannot end it before it is seen (the
    // kill ends it); a's is short.
    const run = await lvsplay(["apply", inv, "--playbook", slow, "--json"], () => {
      void runningUnder(b.pid, "sleep").then(() => b.killConnections());
    });
    expect(run.code).toBe(3);
    const out = JSON.parse(run.stdout);
    expect(out.recap.b.unreachable).toBe(1);
    expect(out.recap.a).toEqual({ ok: 0, changed: 2, failed: 0, skipped: 0, unreachable: 0 });
    expect(readFileSync(join(work, "a", "after"), "utf8")).toBe("x\n");
    expect(() => readFileSync(join(work, "b", "after"))).toThrow();
  });

  it("`facts` prints the gathered facts of the selected hosts as JSON", async () => {
    const inv = writeInventory("inv-facts.yaml", { a: a.knownHostsFile, b: b.knownHostsFile });
    const run = await lvsplay(["facts", inv, "--limit", "a"]);
    expect(run.code, run.stderr).toBe(0);
    const facts = JSON.parse(run.stdout);
    expect(Object.keys(facts)).toEqual(["a"]);
    expect(facts.a.os.family).toBe("debian");
    expect(facts.a.os.packageManager).toBe("apt");
    expect(facts.a.network.interfaces.some((i: { name: string }) => i.name === "lo")).toBe(true);
    expect(facts.a.kernel.macMatch).toBe(true);
  });

  it("invalid input exits 1 with file:line:col and opens no connection", async () => {
    const bad = join(work, "bad.yaml");
    writeFileSync(bad, `hosts:\n  a:\n    address: ${a.address}\n    prot: 22\n`);
    const before = a.log().length;
    const run = await lvsplay(["apply", bad, "--playbook", join(work, "pb.yaml")]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${bad}:4:5: hosts.a.prot`);
    expect(a.log().length).toBe(before);

    const inv = writeInventory("inv-limit.yaml", { a: a.knownHostsFile, b: b.knownHostsFile });
    for (const limit of ["nosuch", "a:&b"]) {
      const limited = await lvsplay(["apply", inv, "--playbook", join(work, "pb.yaml"), "--limit", limit]);
      expect(limited.code).toBe(1);
      expect(limited.stderr).toMatch(/nothing was changed/);
      expect(limited.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
    }
    expect(a.log().length).toBe(before);
  });
});
