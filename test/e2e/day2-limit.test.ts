// Issue 11: day-2 operation on a cluster of THREE co-located directors whose
// names, interface names and subnet are not the lab's (alpha, bravo, charlie on
// lan0; the slot's own 10.77.N.0/24). One director at a time (--limit), one
// concern at a time (--tags/--skip-tags), the typos refused. Every "changes
// only X" claim is checked with byte snapshots of the other hosts.
import { describe, expect, it } from "vitest";
import { ExitCode } from "../../src/cli/exit-codes.js";
import { type E2eLab, timing, useE2eLab } from "./support/e2e-lab.js";
import { CHAIN, LVSPLAY_CONF, liveChain, vipHolders, waitFor } from "./support/host-state.js";
import { applyJson, changedTasks, describeProblems, runLvsplay } from "./support/lvsplay-cli.js";
import { type LabSnapshot, labSnapshot } from "./support/snapshot.js";

const lab = useE2eLab("day2-limit", {
  nodes: [
    { name: "alpha", groups: ["directors", "realservers"], iface: "lan0" },
    { name: "bravo", groups: ["directors", "realservers"], iface: "lan0" },
    { name: "charlie", groups: ["directors", "realservers"], iface: "lan0" },
    { name: "web4", groups: ["realservers"], iface: "lan0" },
    { name: "probe", groups: ["clients"], iface: "lan0" },
  ],
});

/** Snapshots of every host but `except`. */
const others = (snap: LabSnapshot, ...except: string[]) =>
  Object.fromEntries(Object.entries(snap).filter(([host]) => !except.includes(host)));

async function expectExit0(args: readonly string[], what: string): Promise<string> {
  const run = await runLvsplay(["apply", lab.inventoryFile, "--plain", ...args]);
  timing(`${what}`, run.durationMs);
  expect(run.code, `${what}:\n${run.stdout}\n${run.stderr}`).toBe(ExitCode.ok);
  return run.stdout;
}

const settled = (l: E2eLab) =>
  waitFor("exactly one director to hold the VIP", async () => (await vipHolders(l)).length === 1, 30_000);

describe("a converged cluster of three directors (alpha, bravo, charlie on lan0)", () => {
  it("converges from bare, then the second apply changes nothing", async () => {
    const first = await applyJson(lab.inventoryFile);
    timing("first apply (3 directors)", first.durationMs);
    expect(describeProblems(first.json)).not.toMatch(/: (failed|unreachable)/);
    expect(first.code, first.stderr.slice(-3000)).toBe(ExitCode.ok);
    await settled(lab);
    const second = await applyJson(lab.inventoryFile);
    expect(changedTasks(second.json)).toEqual([]);
    expect(second.code).toBe(ExitCode.ok);
  }, 180_000);

  it("apply --limit alpha reads bravo and charlie for their data plane and exits 0", async () => {
    const before = await labSnapshot(lab);
    const out = await expectExit0(["--limit", "alpha"], "--limit alpha (converged)");
    expect(out).toMatch(/reading bravo, charlie for data plane/);
    expect(await labSnapshot(lab)).toEqual(before);
  }, 180_000);

  it("apply --check --limit bravo exits 0 (nothing pending)", async () => {
    await expectExit0(["--check", "--limit", "bravo"], "--check --limit bravo");
  }, 180_000);

  it("apply --tags persist reads the mark rules it persists and exits 0", async () => {
    const out = await expectExit0(["--tags", "persist"], "--tags persist");
    expect(out).toMatch(/reading .* for .*mark rules/);
  }, 180_000);

  it("--tags keepalived, --tags verify, --skip-tags packages each exit 0 on a converged cluster", async () => {
    const before = await labSnapshot(lab);
    await expectExit0(["--tags", "keepalived"], "--tags keepalived");
    const verify = await expectExit0(["--tags", "verify"], "--tags verify");
    expect(verify).not.toMatch(/STAGE \[install packages\]/);
    const skip = await expectExit0(["--skip-tags", "packages"], "--skip-tags packages");
    expect(skip).not.toMatch(/ensure LVS packages/);
    expect(await labSnapshot(lab)).toEqual(before);
  }, 180_000);

  it("an unknown tag or a limit that matches nothing exits 1 naming what exists, contacting nothing", async () => {
    const tag = await runLvsplay(["apply", lab.inventoryFile, "--tags", "nosuchtag"]);
    expect(tag.code).toBe(ExitCode.invalid);
    expect(tag.stderr).toMatch(/nosuchtag/);
    expect(tag.stderr).toMatch(/tags: .*keepalived.*persist/);
    const skip = await runLvsplay(["apply", lab.inventoryFile, "--skip-tags", "pakages"]);
    expect(skip.code).toBe(ExitCode.invalid);
    const limit = await runLvsplay(["apply", lab.inventoryFile, "--limit", "delta"]);
    expect(limit.code).toBe(ExitCode.invalid);
    expect(limit.stderr).toMatch(/delta/);
    expect(limit.stderr).toMatch(/hosts: alpha, bravo, charlie, web4, probe/);
    const none = await runLvsplay(["apply", lab.inventoryFile, "--limit", "directors:&clients"]);
    expect(none.code).toBe(ExitCode.invalid);
    expect(none.stderr).toMatch(/matches no host/);
  }, 180_000);

  it("--list-hosts and --list-tasks show the selection and the read-only producers, contacting nothing", async () => {
    const hosts = await runLvsplay(["apply", lab.inventoryFile, "--list-hosts", "--limit", "alpha:web4"]);
    expect(hosts.code).toBe(ExitCode.ok);
    expect(hosts.stdout).toMatch(/hosts \(2\): alpha, web4/);
    const tasks = await runLvsplay(["apply", lab.inventoryFile, "--list-tasks", "--tags", "persist"]);
    expect(tasks.code).toBe(ExitCode.ok);
    expect(tasks.stdout).toMatch(/persist mark rules/);
    expect(tasks.stdout).toMatch(/read-only on alpha, bravo, charlie .*peer-excluding fwmark rules/);
    expect(tasks.stdout).not.toMatch(/STAGE|ensure LVS packages/);
  }, 180_000);
});

describe("one host at a time on a drifted cluster", () => {
  it("a drifted director is repaired with --limit alone; the other hosts stay byte-identical", async () => {
    await lab.read("charlie", ["iptables", "-t", "mangle", "-F", CHAIN]);
    await lab.read("charlie", ["sh", "-c", 'printf "# hand edit\\n" >> "$1"', "sh", LVSPLAY_CONF]);
    await lab.read("web4", ["ip", "addr", "del", `${lab.facts.vip}/32`, "dev", "lo"]);
    const before = await labSnapshot(lab);
    const run = await applyJson(lab.inventoryFile, ["--limit", "charlie"]);
    timing("--limit charlie (drifted)", run.durationMs);
    expect(describeProblems(run.json)).not.toMatch(/: (failed|unreachable)/);
    expect(changedTasks(run.json)).toEqual([
      "charlie lvs.keepalived",
      "charlie lvs.marks",
      "charlie service handler",
    ]);
    expect(run.code, run.stderr.slice(-3000)).toBe(ExitCode.ok);
    expect((await liveChain(lab, "charlie")).rules).toHaveLength(1);
    // web4's VIP is still missing: --limit charlie changed nothing outside charlie.
    expect(others(await labSnapshot(lab), "charlie")).toEqual(others(before, "charlie"));
  }, 180_000);

  it("--limit <real server> repairs only that real server", async () => {
    const before = await labSnapshot(lab);
    const run = await applyJson(lab.inventoryFile, ["--limit", "web4"]);
    expect(changedTasks(run.json)).toEqual(["web4 lvs.lo_vip"]);
    expect(run.code, run.stderr.slice(-3000)).toBe(ExitCode.ok);
    expect(others(await labSnapshot(lab), "web4")).toEqual(others(before, "web4"));
    const again = await applyJson(lab.inventoryFile);
    expect(changedTasks(again.json)).toEqual([]);
    expect(again.code).toBe(ExitCode.ok);
  }, 180_000);
});
