// A guard is not a fact: `apply --check` and `audit` never run a playbook's
// `unless` command (it may change the host), against a real sshd host. The
// `creates` guard is a stat, read in every mode — a FIFO there is answered at
// once. Apply mode does run the guard: the same setup proves the test can fail.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSshd, type TestSshd } from "../support/sshd.js";

const CLI = resolve("bin/lvsplay.js");
let work: string;
let sshd: TestSshd;

interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

const lvsplay = (args: string[]): Promise<CliResult> =>
  new Promise((done) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, NO_COLOR: "1" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => done({ code, stdout, stderr }));
  });

/** A playbook whose only task runs `touch ran` unless the hostile guard succeeds. */
const playbook = (pwned: string, ran: string) => `name: guards
stages:
  - name: once
    hosts: all
    tasks:
      - name: guarded
        op: command
        args:
          argv: [touch, "${ran}"]
          unless: [sh, -c, "touch ${pwned}; false"]
`;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "lvsplay-guards-"));
  sshd = await startSshd();
  writeFileSync(
    join(work, "inv.yaml"),
    `hosts:\n  h1:\n    address: ${sshd.address}\n    port: ${sshd.port}\n    identity: ${sshd.keyFile}\n    known_hosts: ${sshd.knownHostsFile}\n    connect_timeout: 10\n`,
  );
});

afterAll(async () => {
  await sshd?.stop();
  rmSync(work, { recursive: true, force: true });
});

// Several CLI runs over SSH per test: generous, the machine is shared (waits are for the processes to exit).
const SLOW = { timeout: 300_000 };

describe("guards in check mode and audits", () => {
  it(
    'audit and apply --check never run `unless: [sh, -c, "touch …PWNED; false"]`; apply does',
    SLOW,
    async () => {
      const pwned = join(work, "PWNED");
      const ran = join(work, "ran");
      const pb = join(work, "pb.yaml");
      writeFileSync(pb, playbook(pwned, ran));
      const inv = join(work, "inv.yaml");

      const audit = await lvsplay(["audit", inv, "--playbook", pb]);
      expect(audit.code, audit.stderr).toBe(2);
      expect(audit.stdout).toContain(
        `would run touch ${ran} unless \`sh -c touch ${pwned}; false\` succeeds`,
      );
      expect(existsSync(pwned), "audit ran the guard").toBe(false);

      const check = await lvsplay(["apply", inv, "--playbook", pb, "--check", "--plain"]);
      expect(check.code, check.stderr).toBe(2);
      expect(check.stdout).toContain("the guard was not run");
      expect(existsSync(pwned), "apply --check ran the guard").toBe(false);
      expect(existsSync(ran)).toBe(false);

      // The control: apply runs the guard (it fails, so the command runs too).
      const apply = await lvsplay(["apply", inv, "--playbook", pb, "--plain"]);
      expect(apply.code, apply.stderr).toBe(0);
      expect(existsSync(pwned), "apply did not run the guard: the test above proves nothing").toBe(true);
      expect(existsSync(ran)).toBe(true);
    },
  );

  it(
    "a creates guard is a stat in every mode: a FIFO there is answered at once, nothing is opened",
    SLOW,
    async () => {
      const fifo = join(work, "fifo");
      await new Promise<void>((done, fail) =>
        spawn("mkfifo", [fifo]).on("close", (code) => (code === 0 ? done() : fail(new Error("mkfifo")))),
      );
      const pb = join(work, "creates.yaml");
      writeFileSync(
        pb,
        `stages:\n  - name: once\n    hosts: all\n    tasks:\n      - op: command\n        args: { argv: [touch, "${join(work, "never")}"], creates: "${fifo}" }\n`,
      );
      const inv = join(work, "inv.yaml");
      for (const args of [
        ["audit", inv],
        ["apply", inv, "--check"],
        ["apply", inv],
      ]) {
        const r = await lvsplay([...args, "--playbook", pb]);
        expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(0);
      }
      expect(existsSync(join(work, "never"))).toBe(false);
    },
  );
});
