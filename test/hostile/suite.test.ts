// The hostile-input suite (issue 14): every case in cases.ts runs the real CLI
// (in one batch process, support/run-cases.mjs) and must end with its exit
// code, its message at file:line:col where a file is involved, no stack trace,
// no raw control character on the terminal, within a time bound, and without a
// single connection to the listeners the inventory's hosts point at (the
// controls prove a connection would be counted).
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HOSTILE_CASES, type HostileCase } from "./cases.js";

interface CaseResult {
  readonly name: string;
  readonly dir: string;
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
  readonly contacts: number;
  readonly crashed?: string;
}

/**
 * A hang detector, not a performance assertion (benchmarks measure speed): a
 * case that blocks (a FIFO read, a quadratic check on 100k keys) takes far longer.
 */
const CASE_BOUND_MS = 20_000;

let work: string;
const results = new Map<string, CaseResult>();
let batchMs = 0;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "lvsplay-hostile-"));
  const casesFile = join(work, "cases.json");
  const resultsFile = join(work, "results.json");
  writeFileSync(casesFile, JSON.stringify({ work, cases: HOSTILE_CASES }));
  const started = Date.now();
  const stderr = await new Promise<string>((done, fail) => {
    const child = spawn(
      process.execPath,
      [resolve("test/hostile/support/run-cases.mjs"), casesFile, resultsFile],
      {
        env: { ...process.env, NO_COLOR: "1", LVSPLAY_DEBUG: "" },
        stdio: ["ignore", "inherit", "pipe"],
      },
    );
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    child.on("error", fail);
    child.on("close", (code) =>
      code === 0 ? done(err) : fail(new Error(`run-cases exited ${code}: ${err}`)),
    );
  });
  batchMs = Date.now() - started;
  const parsed = JSON.parse(readFileSync(resultsFile, "utf8")) as { results: CaseResult[] };
  for (const r of parsed.results) results.set(r.name, r);
  // The batch itself must not have written anything odd (warnings, traces).
  expect(stderr).not.toMatch(/\n\s+at \S/);
  console.log(`hostile suite: ${HOSTILE_CASES.length} cases in ${batchMs} ms (one process)`);
});

// LVSPLAY_HOSTILE_KEEP=1 keeps the cases, their files and results.json for a look.
afterAll(() => {
  if (process.env["LVSPLAY_HOSTILE_KEEP"] !== "1") rmSync(work, { recursive: true, force: true });
});

// A stack frame ("    at fn (file.js:1:2)") or an uncaught error's name.
const STACK = /^\s+at \S.*(:\d+:\d+\)?|native)$|^(Type|Range|Reference|Syntax)Error\b|internal error/m;
// Any C0 control character but newline and tab, DEL, or a C1 control.
const hasRawControl = (text: string): boolean =>
  [...text].some((ch) => {
    const code = ch.codePointAt(0) ?? 0;
    return (code < 0x20 && code !== 0x0a && code !== 0x09) || (code >= 0x7f && code <= 0x9f);
  });

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe("hostile input", () => {
  it(`has at least 120 cases with distinct names (${HOSTILE_CASES.length})`, () => {
    expect(HOSTILE_CASES.length).toBeGreaterThanOrEqual(120);
    expect(new Set(HOSTILE_CASES.map((c) => c.name)).size).toBe(HOSTILE_CASES.length);
  });

  it.each(HOSTILE_CASES.map((c) => [c.name, c] as const))("%s", (_, c: HostileCase) => {
    const r = results.get(c.name);
    expect(r, "the batch ran this case").toBeDefined();
    if (!r) return;
    const said = `exit ${r.code}\nstderr: ${r.stderr}\nstdout: ${r.stdout.slice(0, 2000)}`;
    expect(r.crashed, said).toBeUndefined();
    expect(r.code, said).toBe(c.code);
    expect(r.stderr, said).toMatch(c.stderr);
    if (c.stdout) expect(r.stdout, said).toMatch(c.stdout);
    if (c.at) {
      const at = new RegExp(`${escapeRe(join(r.dir, c.at.file))}:${c.at.line}:\\d+: `);
      expect(r.stderr, said).toMatch(at);
    }
    if (c.problems !== undefined)
      expect(r.stderr, said).toContain(`${c.problems} problem(s); nothing was changed.`);
    expect(`${r.stderr}\n${r.stdout}`, said).not.toMatch(STACK);
    expect(hasRawControl(r.stderr), `raw control character in stderr\n${said}`).toBe(false);
    // Input errors stay short: a megabyte of input is not a megabyte of message.
    if (c.code === 1) expect(r.stderr.length, said).toBeLessThan(4000);
    expect(r.ms, said).toBeLessThan(CASE_BOUND_MS);
    if (c.contacts === "some") expect(r.contacts, "the control reaches a listener").toBeGreaterThan(0);
    else expect(r.contacts, said).toBe(0);
  });
});
