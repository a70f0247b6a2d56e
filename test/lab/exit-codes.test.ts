// Every `lvsplay lab …` verb exits non-zero on error with one readable message
// (no stack, no "internal error"), run as an operator runs it: the built CLI in
// a child process. The failures are real ones that need no namespaces or guest:
// missing or broken inputs, unknown nodes, state records that do not hold a lab.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { run } from "../../src/lab/run.js";

const BIN = fileURLToPath(new URL("../../bin/lvsplay.js", import.meta.url));
const scratch = mkdtempSync(path.join(tmpdir(), "lvsplay-lab-exit-"));
const noLab = path.join(scratch, "no-lab");
const noVm = path.join(scratch, "no-vm");

async function lab(args: readonly string[], env: Record<string, string> = {}) {
  const r = await run([process.execPath, BIN, "lab", ...args], {
    env: { ...process.env, LVSPLAY_LAB_DIR: noLab, LVSPLAY_VM_DIR: noVm, NO_COLOR: "1", ...env },
    timeoutMs: 120_000,
  });
  return { code: r.code, stdout: r.stdout, stderr: r.stderr };
}

/** One error line with the lab's prefix, nothing else on stderr. */
function expectOneMessage(stderr: string, prefix: RegExp, text: RegExp): void {
  const lines = stderr.trimEnd().split("\n");
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0], stderr).toMatch(prefix);
  expect(lines[0], stderr).toMatch(text);
  expect(stderr).not.toMatch(/internal error|\n\s+at /);
}

/** A lab state record with one host and nothing behind it (no namespace, no process). */
function writeState(dir: string, complete: boolean): void {
  mkdirSync(dir, { recursive: true });
  const state = {
    version: 1,
    lab: "exitcodes",
    topologyFile: path.join(dir, "gone.clab.yml"),
    topologyHash: "0",
    createdAt: new Date().toISOString(),
    complete,
    bridges: [],
    hosts: {
      ds1: { netns: "clab-exitcodes-ds1", netnsCreated: false, address: "127.0.0.1", mounts: [], dir },
    },
    files: [],
    dirs: [],
  };
  writeFileSync(path.join(dir, "lab-state.json"), JSON.stringify(state));
}

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("lvsplay lab: every verb fails with a non-zero exit and one message", () => {
  const broken = path.join(scratch, "broken");
  const halfBuilt = path.join(scratch, "half-built");
  mkdirSync(broken, { recursive: true });
  writeFileSync(path.join(broken, "lab-state.json"), "{ not json");
  writeState(halfBuilt, false);

  it("up: a missing topology file → 1", async () => {
    const r = await lab(["up", path.join(scratch, "nonexistent.clab.yml")]);
    expect(r.code).toBe(1);
    expectOneMessage(r.stderr, /^lvsplay lab: /, /cannot read topology .*nonexistent\.clab\.yml/);
  });

  it("up: a state dir that holds a half-built lab → 1, nothing touched", async () => {
    const r = await lab(["up", "--state-dir", halfBuilt]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^lvsplay lab: .*already holds .*run `lvsplay lab down` first/);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
  });

  it("down: a state record that is not one → 1", async () => {
    const r = await lab(["down", "--state-dir", broken]);
    expect(r.code).toBe(1);
    expectOneMessage(r.stderr, /^lvsplay lab: /, /lab-state\.json is not a lab state record/);
  });

  it("status: 3 when no lab is up (and when it is half-built), 1 for a broken record", async () => {
    const none = await lab(["status"]);
    expect(none.code).toBe(3);
    expect(none.stdout).toMatch(/^no lab is up/);
    const half = await lab(["status", "--state-dir", halfBuilt]);
    expect(half.code).toBe(3);
    expect(half.stdout).toMatch(/half-built/);
    const bad = await lab(["status", "--state-dir", broken]);
    expect(bad.code).toBe(1);
    expectOneMessage(bad.stderr, /^lvsplay lab: /, /is not a lab state record/);
  });

  it("ssh: no lab → 1, unknown node → 1, a node that does not answer → ssh's 255", async () => {
    const none = await lab(["ssh", "nosuchnode"]);
    expect(none.code).toBe(1);
    expectOneMessage(none.stderr, /^lvsplay lab: /, /no lab is up/);
    const unknown = await lab(["ssh", "--state-dir", halfBuilt, "nosuchnode"]);
    expect(unknown.code).toBe(1);
    expectOneMessage(unknown.stderr, /^lvsplay lab: /, /has no node nosuchnode \(nodes: ds1\)/);
    // ds1's record points at 127.0.0.1 with a known_hosts file that does not exist: ssh
    // refuses (no sshd, or no trusted key) and its own status comes through.
    const down = await lab(["ssh", "--state-dir", halfBuilt, "ds1", "true"]);
    expect(down.code).toBe(255);
  });

  it("restart: no lab → 1, unknown node → 1, a half-built lab → 1", async () => {
    const none = await lab(["restart", "ds1"]);
    expect(none.code).toBe(1);
    expectOneMessage(none.stderr, /^lvsplay lab: /, /no lab is up/);
    const unknown = await lab(["restart", "--state-dir", halfBuilt, "nosuchnode"]);
    expect(unknown.code).toBe(1);
    expectOneMessage(unknown.stderr, /^lvsplay lab: /, /has no node nosuchnode/);
    const half = await lab(["restart", "--state-dir", halfBuilt, "ds1"]);
    expect(half.code).toBe(1);
    expectOneMessage(half.stderr, /^lvsplay lab: /, /half-built/);
  });
});

describe("lvsplay lab vm: every verb fails with a non-zero exit and one message", () => {
  const brokenVm = path.join(scratch, "broken-vm");
  const deadVm = path.join(scratch, "dead-vm");
  mkdirSync(brokenVm, { recursive: true });
  writeFileSync(path.join(brokenVm, "vm.json"), "{ not json");

  it("up: a missing topology → 1 before anything boots", async () => {
    const started = Date.now();
    const r = await lab(["vm", "up", path.join(scratch, "nonexistent.clab.yml")]);
    expect(r.code).toBe(1);
    expectOneMessage(r.stderr, /^lvsplay lab: /, /cannot read topology/);
    // Nothing was fetched or booted: invalid input is refused up front.
    expect(Date.now() - started).toBeLessThan(60_000);
  });

  it("down: a VM state record that is not one → 1", async () => {
    const r = await lab(["vm", "down", "--state-dir", brokenVm]);
    expect(r.code).toBe(1);
    expectOneMessage(r.stderr, /^lvsplay lab vm: /, /vm\.json is not a VM state record/);
  });

  it("exec: no VM → 1; a VM whose agent does not answer → 1", async () => {
    const none = await lab(["vm", "exec", "true"]);
    expect(none.code).toBe(1);
    expectOneMessage(none.stderr, /^lvsplay lab vm: /, /no VM is up/);
    // A record whose agent port nothing listens on (port 1 on loopback: never ours).
    mkdirSync(deadVm, { recursive: true });
    writeFileSync(
      path.join(deadVm, "vm.json"),
      JSON.stringify({ pid: 0, stateDir: deadVm, agent: { port: 1, token: "x" }, forwards: [] }),
    );
    const dead = await lab(["vm", "exec", "--state-dir", deadVm, "true"]);
    expect(dead.code).toBe(1);
    expectOneMessage(dead.stderr, /^lvsplay lab vm: /, /ECONNREFUSED/);
  });
});
