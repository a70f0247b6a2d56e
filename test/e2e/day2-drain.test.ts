// Issue 11 part 3: the rolling apply keeps the VIP served. Three co-located
// directors (north, south, west on dp0; the slot's own subnet) and a client
// (watcher). A change that rewrites every director's mark rules and
// keepalived.conf is rolled one director at a time (--serial auto on a serving
// cluster), while watcher polls the VIP throughout. A renumbered fwmark: the
// VIP holder hands the VIP to a peer before its change and takes it back
// after. Other ports and a weight: the holder changes in place (the rules
// replaced in one transaction, a reload that edits the real server), and the
// VIP never moves.
// This lab's kernel has no IPVS (vrrp_only): what a client sees here is which
// director answers on the VIP (every lab host serves HTTP), so the honest claim
// is "the VIP was held and answered all along, except for bounded failover
// windows" — the zero-failed-requests proof through IPVS is the QEMU tier's.
import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { ExitCode } from "../../src/cli/exit-codes.js";
import { DRAIN_TRACK } from "../../src/lvs/keepalived/model.js";
import { timing, useE2eLab } from "./support/e2e-lab.js";
import {
  KEEPALIVED_CONF,
  keepalivedPids,
  LVSPLAY_CONF,
  processRunning,
  vipHolders,
  waitFor,
} from "./support/host-state.js";
import { applyJson, changedTasks, describeProblems } from "./support/lvsplay-cli.js";
import { startLvsplay } from "./support/lvsplay-live.js";

const DIRECTORS = ["north", "south", "west"] as const;

const lab = useE2eLab("day2-drain", {
  nodes: [
    { name: "north", groups: ["directors", "realservers"], iface: "dp0" },
    { name: "south", groups: ["directors", "realservers"], iface: "dp0" },
    { name: "west", groups: ["directors", "realservers"], iface: "dp0" },
    { name: "watcher", groups: ["clients"], iface: "dp0" },
  ],
});

/**
 * The lab's inventory with the first service changed: other ports, real
 * server weights, and its fwmarks pinned from `marks` on (one per director).
 * A renumbered mark changes every director's mark rules and virtual server
 * key: a VIP holder hands its VIP over first. Ports and weights alone a holder
 * takes in place (one-transaction rule replace, a reload that edits the
 * virtual server).
 */
function inventoryWith(
  change: { ports: number[]; marks?: number; weights?: Record<string, number> },
  name: string,
): string {
  const inv = parse(readFileSync(lab.inventoryFile, "utf8")) as {
    lvs: {
      services: { ports: number[]; weights?: Record<string, number>; fwmarks?: Record<string, number> }[];
    };
  };
  const svc = inv.lvs.services[0]!;
  svc.ports = change.ports;
  if (change.weights !== undefined) svc.weights = change.weights;
  const { marks } = change;
  if (marks !== undefined) svc.fwmarks = Object.fromEntries(DIRECTORS.map((d, i) => [d, marks + i]));
  const file = lab.inventoryFile.replace(/inventory\.yaml$/, `${name}.yaml`);
  writeFileSync(file, stringify(inv));
  return file;
}

/** Whether the drain's track file is on `node` (a drain by priority left in place). */
const drainFileOn = async (node: string) =>
  (await lab.read(node, ["sh", "-c", `[ -e ${DRAIN_TRACK.file} ] && echo present || echo absent`])).trim() ===
  "present";

const settled = () =>
  waitFor("exactly one director to hold the VIP", async () => (await vipHolders(lab)).length === 1, 30_000);

interface DrainEvent {
  host: string;
  phase: string;
  vips: Record<string, string[]>;
  detail: string;
  durationMs: number;
}

/** A client polling the VIP from watcher until stopped: one request every 50 ms, one line per request. */
function pollVip() {
  const stop = "/tmp/lvsplay-poll-stop";
  const url = `http://${lab.facts.vip}:${lab.facts.port}/`;
  const script = `rm -f ${stop}; while [ ! -e ${stop} ]; do
    c=$(curl -s -m 1 -o /dev/null -w '%{http_code}' "$1"); echo "$(date +%s%3N) $c"; sleep 0.05; done`;
  const running = lab.exec("watcher", ["sh", "-c", script, "poll", url], 600_000);
  return async () => {
    await lab.read("watcher", ["touch", stop]);
    const lines = (await running).stdout.trim().split("\n");
    const polls = lines.map((l) => {
      const [ms, code] = l.split(" ");
      return { ms: Number(ms), ok: code === "200" };
    });
    // Longest stretch without an answer: from the last answer before failures to the first after.
    let gapMs = 0;
    let lastOk: number | undefined;
    for (const p of polls) {
      if (!p.ok) continue;
      if (lastOk !== undefined) gapMs = Math.max(gapMs, p.ms - lastOk);
      lastOk = p.ms;
    }
    return { polls: polls.length, failed: polls.filter((p) => !p.ok).length, gapMs };
  };
}

/** `apply --serial auto` while watcher polls the VIP; prints the timing and what the client saw. */
async function rollWhilePolled(inventory: string, label: string, what: string) {
  const stopPolling = pollVip();
  // Let the client get a few answers before the roll starts.
  await waitFor("the client to poll", async () => true, 1000);
  const run = await applyJson(inventory, ["--serial", "auto"]);
  const poll = await stopPolling();
  timing(label, run.durationMs);
  console.log(
    `[e2e] client polls during ${what}: ${poll.polls}, failed: ${poll.failed}, longest gap: ${poll.gapMs} ms`,
  );
  return { run, poll };
}

describe("rolling apply on three directors (north, south, west on dp0)", () => {
  it("a first apply with --serial auto runs all hosts at once (no VIP held yet) and converges", async () => {
    const first = await applyJson(lab.inventoryFile, ["--serial", "auto"]);
    timing("first apply (3 directors, bare)", first.durationMs);
    expect(describeProblems(first.json)).not.toMatch(/: (failed|unreachable)/);
    expect(first.code, first.stderr.slice(-3000)).toBe(ExitCode.ok);
    const json = first.json as unknown as { batches?: string[][]; batching?: string; drains?: DrainEvent[] };
    expect(json.batches).toBeUndefined();
    expect(json.batching).toMatch(/all hosts at once \(no director holds a VIP/);
    expect((json.drains ?? []).every((d) => d.phase === "not-needed")).toBe(true);
    await settled();
  }, 180_000);

  it("a change to every director rolls one at a time; the holder hands the VIP over and takes it back; the VIP answers throughout", async () => {
    const [holder] = await vipHolders(lab);
    expect(holder).toBeDefined();
    const changed = inventoryWith({ ports: [lab.facts.port, lab.facts.port + 8000], marks: 40 }, "two-ports");
    const { run, poll } = await rollWhilePolled(
      changed,
      "rolling apply (3 directors, marks + keepalived.conf changed)",
      "the roll",
    );
    expect(describeProblems(run.json)).not.toMatch(/: (failed|unreachable)/);
    expect(run.code, run.stderr.slice(-4000)).toBe(ExitCode.ok);
    const json = run.json as unknown as { batches?: string[][]; batching?: string; drains?: DrainEvent[] };
    expect(json.batching).toMatch(/directors one at a time/);
    expect(json.batches).toEqual([["north"], ["south"], ["west"], ["watcher"]]);
    expect(changedTasks(run.json)).toEqual(
      expect.arrayContaining(["north lvs.marks", "south lvs.keepalived", "west lvs.marks"]),
    );

    // The holder was drained before its first disruptive stage and restored
    // after its last: the change spans two stages (mark rules, then
    // keepalived.conf), and the VIP moves away and back once, not per stage.
    const drains = json.drains ?? [];
    const mine = drains.filter((d) => d.host === holder);
    const drained = mine.filter((d) => d.phase === "drained");
    const restored = mine.filter((d) => d.phase === "restored");
    expect(drained, JSON.stringify(drains, null, 1)).toHaveLength(1);
    expect(restored, JSON.stringify(drains, null, 1)).toHaveLength(1);
    expect(mine.map((d) => d.phase)).toEqual(["drained", "restored"]);
    for (const d of drained) {
      // While drained, a peer held the VIP and a client got answers through it.
      const holders = d.vips[lab.facts.vip] ?? [];
      expect(holders.length).toBeGreaterThan(0);
      expect(holders).not.toContain(holder);
      expect(d.detail).toMatch(/answered through the VIP from watcher/);
      // By priority: keepalived kept running (and serving) until a peer had preempted.
      expect(d.detail).toMatch(/^priority lowered \(\/run\/lvsplay-drain\); handed over in/);
      console.log(`[e2e] ${d.host} drained: ${d.detail}`);
    }
    for (const r of restored) {
      expect(r.vips[lab.facts.vip]).toHaveLength(1);
      console.log(`[e2e] ${r.host} restored: ${r.detail}`);
    }
    // Directors that held no VIP were changed in place, and said so.
    for (const other of ["north", "south", "west"].filter((d) => d !== holder))
      expect(drains.some((d) => d.host === other && d.phase === "not-needed")).toBe(true);
    // Output shows each batch and where the VIP went.
    expect(run.stderr).toMatch(/BATCH 1\/4: north/);
    const firstBatch = run.stderr.slice(run.stderr.indexOf("BATCH 1/4"), run.stderr.indexOf("BATCH 3/4"));
    console.log(`[e2e] the roll's first two batches:\n${firstBatch}`);
    expect(run.stderr).toMatch(
      new RegExp(`vip drained: \\[${holder}\\] priority lowered \\(.*\\); handed over in`),
    );
    expect(run.stderr).toMatch(new RegExp(`vip restored: \\[${holder}\\] priority back on ${holder}; `));
    for (const d of ["north", "south", "west"]) expect(await drainFileOn(d), d).toBe(false);

    expect(await vipHolders(lab)).toHaveLength(1);
    // The client got answers all along but for failover windows shorter than VRRP's master-down interval.
    expect(poll.polls).toBeGreaterThan(10);
    expect(poll.gapMs).toBeLessThan(5000);

    const again = await applyJson(changed, ["--serial", "auto"]);
    expect(changedTasks(again.json)).toEqual([]);
    expect(again.code).toBe(ExitCode.ok);
  }, 300_000);

  it("a change the holder takes in place (another port, a real server weight) rolls without moving the VIP: no client request fails", async () => {
    await settled();
    const [holder] = await vipHolders(lab);
    expect(holder).toBeDefined();
    const pidsBefore = await keepalivedPids(lab, holder!);
    // The marks of the previous roll stay (40…): only the ports and a weight differ.
    const changed = inventoryWith(
      {
        ports: [lab.facts.port, lab.facts.port + 8000, lab.facts.port + 8001],
        marks: 40,
        weights: { west: 2 },
      },
      "in-place",
    );
    const { run, poll } = await rollWhilePolled(
      changed,
      "rolling apply of an in-place change (3 directors)",
      "the in-place roll",
    );
    expect(describeProblems(run.json)).not.toMatch(/: (failed|unreachable)/);
    expect(run.code, run.stderr.slice(-4000)).toBe(ExitCode.ok);
    expect(changedTasks(run.json)).toEqual(
      expect.arrayContaining(DIRECTORS.flatMap((d) => [`${d} lvs.marks`, `${d} lvs.keepalived`])),
    );
    const drains = (run.json as unknown as { drains?: DrainEvent[] }).drains ?? [];
    const detail = JSON.stringify(drains, null, 1);
    // Nobody handed a VIP over; the holder said, per stage, why it kept it.
    expect(
      drains.filter((d) => d.phase === "drained" || d.phase === "restored"),
      detail,
    ).toEqual([]);
    const mine = drains.filter((d) => d.host === holder);
    expect(
      mine.map((d) => d.phase),
      detail,
    ).toEqual(["in-place", "in-place"]);
    expect(mine[0]!.detail).toMatch(
      new RegExp(`^${holder} keeps ${lab.facts.vip}: .*LVSPLAY-MARK replaced in one transaction`),
    );
    expect(mine[1]!.detail).toMatch(
      /real servers, weights or persistence differ: keepalived [\d.]+ edits them in place/,
    );
    // The same keepalived (reloaded, not restarted) still holds the VIP, and the client never missed an answer.
    expect(await vipHolders(lab)).toEqual([holder]);
    expect(await keepalivedPids(lab, holder!)).toEqual(pidsBefore);
    expect(poll.polls).toBeGreaterThan(10);
    expect(poll.failed).toBe(0);
    const own = await lab.read(holder!, ["cat", LVSPLAY_CONF]);
    expect(own).toMatch(/^ {8}weight 2$/m);
    const again = await applyJson(changed, ["--serial", "auto"]);
    expect(changedTasks(again.json)).toEqual([]);
    expect(again.code).toBe(ExitCode.ok);
  }, 300_000);

  it("apply --check never drains: nothing is stopped, exit 2 with the change pending", async () => {
    await settled();
    const [holder] = await vipHolders(lab);
    const back = lab.inventoryFile;
    const check = await applyJson(back, ["--check"]);
    expect(check.code, check.stderr.slice(-3000)).toBe(ExitCode.drift);
    const json = check.json as unknown as { drains?: DrainEvent[]; batches?: string[][] };
    expect(json.drains).toBeUndefined();
    expect(json.batches).toBeUndefined();
    expect(await vipHolders(lab)).toEqual([holder]);
  }, 180_000);

  it("refuses to drain when no peer can take the VIP: the holder fails unchanged, the VIP stays served", async () => {
    await settled();
    const [holder] = await vipHolders(lab);
    // The top-priority director holds it (preempt), and is the first batch.
    expect(holder).toBe(lab.facts.order[0]);
    const peers = ["north", "south", "west"].filter((d) => d !== holder);
    for (const p of peers) await lab.read(p, ["service", "keepalived", "stop"]);
    for (const p of peers)
      await waitFor(`keepalived to stop on ${p}`, async () => !(await processRunning(lab, p, "keepalived")));
    const conf = await lab.read(holder!, ["cat", KEEPALIVED_CONF]);
    const run = await applyJson(lab.inventoryFile, ["--serial", "auto"]);
    expect(run.code, run.stderr.slice(-3000)).toBe(ExitCode.hostsFailed);
    const failed = run.json.results.filter((r) => r.status === "failed");
    expect(failed.map((r) => r.host)).toEqual([holder]);
    expect(failed[0]?.error).toMatch(
      /no peer director can take it over .*keepalived is not running.*--no-drain/,
    );
    expect(await lab.read(holder!, ["cat", KEEPALIVED_CONF])).toBe(conf);
    expect(await vipHolders(lab)).toEqual([holder]);
    expect(await processRunning(lab, holder!, "keepalived")).toBe(true);
    // The roll stopped at the failed batch: the peers were not started behind the operator's back.
    for (const p of peers) expect(await processRunning(lab, p, "keepalived")).toBe(false);
    // --no-drain changes the holder in place; the peers are started by their own batches.
    const inPlace = await applyJson(lab.inventoryFile, ["--serial", "auto", "--no-drain"]);
    expect(describeProblems(inPlace.json)).not.toMatch(/: (failed|unreachable)/);
    expect(inPlace.code, inPlace.stderr.slice(-3000)).toBe(ExitCode.ok);
    await settled();
  }, 300_000);

  it("Ctrl-C while a director is drained still restores it; a second Ctrl-C (exit at once) leaves the restore to the host", async () => {
    await settled();
    for (const [n, signals] of [
      [1, ["SIGINT"]],
      [2, ["SIGINT", "SIGINT"]],
    ] as const) {
      const [holder] = await vipHolders(lab);
      const changed = inventoryWith(
        { ports: [lab.facts.port, lab.facts.port + 8000 + n], marks: 50 + 10 * n },
        `interrupt-${n}`,
      );
      const live = startLvsplay(["apply", changed, "--plain", "--serial", "auto"]);
      await live.waitForLine(new RegExp(`^vip drained: \\[${holder}\\]`));
      for (const s of signals) live.signal(s);
      const end = await live.done;
      expect(end.code, end.stdout.slice(-3000)).toBe(ExitCode.interrupted);
      if (signals.length === 1) expect(end.stdout).toMatch(new RegExp(`vip restored: \\[${holder}\\]`));
      // Either way keepalived runs again on the drained director and the VIP is held exactly once.
      const ms = await waitFor(
        `keepalived running on ${holder} again and the VIP held once`,
        async () =>
          (await processRunning(lab, holder!, "keepalived")) && (await vipHolders(lab)).length === 1,
        30_000,
      );
      timing(`after ${signals.length} SIGINT(s) mid-drain: keepalived back on ${holder}`, ms);
      // The held command removed the drain file when its connection ended, whoever ended it.
      await waitFor(
        `${DRAIN_TRACK.file} to be removed on ${holder}`,
        async () => !(await drainFileOn(holder!)),
      );
      const next = await applyJson(changed, ["--serial", "auto"]);
      expect(describeProblems(next.json)).not.toMatch(/: (failed|unreachable)/);
      expect(next.code, next.stderr.slice(-3000)).toBe(ExitCode.ok);
    }
  }, 400_000);

  it("two directors in one batch (--serial 2): the holder is restored between stages, so its batch peer can hand the VIP to it", async () => {
    await settled();
    const [holder] = await vipHolders(lab);
    // A change to every director's marks and keepalived.conf, rolled two hosts at a time.
    const changed = inventoryWith({ ports: [lab.facts.port, lab.facts.port + 9000], marks: 80 }, "serial-2");
    const run = await applyJson(changed, ["--serial", "2"]);
    expect(describeProblems(run.json)).not.toMatch(/: (failed|unreachable)/);
    expect(run.code, run.stderr.slice(-4000)).toBe(ExitCode.ok);
    const json = run.json as unknown as { batches?: string[][]; drains?: DrainEvent[] };
    expect(json.batches).toEqual([
      ["north", "south"],
      ["west", "watcher"],
    ]);
    // With a peer in its batch the holder is not kept drained across stages:
    // drained and restored around each of its two disruptive stages (marks,
    // keepalived.conf), taking the VIP back (preempt) in between. Kept drained,
    // it would leave its batch peer only the third director to hand over to —
    // and none at all with two directors.
    const drains = json.drains ?? [];
    const detail = JSON.stringify(drains, null, 1);
    const mine = drains.filter((d) => d.host === holder).map((d) => d.phase);
    expect(mine, detail).toEqual(["drained", "restored", "drained", "restored"]);
    const drained = drains.filter((d) => d.phase === "drained");
    expect(
      drains.filter((d) => d.phase === "restored"),
      detail,
    ).toHaveLength(drained.length);
    await settled();
    expect(await vipHolders(lab)).toHaveLength(1);
  }, 300_000);

  it("a drain file left behind (its held command killed on the host) is drift: check mode shows it, apply removes it", async () => {
    await settled();
    const [holder] = await vipHolders(lab);
    const other = ["north", "south", "west"].find((d) => d !== holder)!;
    // The inventory the previous test converged to.
    const current = inventoryWith({ ports: [lab.facts.port, lab.facts.port + 9000], marks: 80 }, "serial-2");
    await lab.read(other, ["sh", "-c", `echo 1 >${DRAIN_TRACK.file}`]);
    const check = await applyJson(current, ["--check"]);
    expect(check.code, check.stderr.slice(-3000)).not.toBe(ExitCode.ok);
    expect(changedTasks(check.json).filter((t) => !t.endsWith(" handler"))).toEqual([
      `${other} lvs.keepalived`,
    ]);
    expect(check.stderr).toMatch(/remove \/run\/lvsplay-drain left behind by a drain/);
    expect(await drainFileOn(other)).toBe(true);
    const run = await applyJson(current, []);
    expect(describeProblems(run.json)).not.toMatch(/: (failed|unreachable)/);
    expect(run.code, run.stderr.slice(-3000)).toBe(ExitCode.ok);
    expect(changedTasks(run.json)).toContain(`${other} lvs.keepalived`);
    expect(await drainFileOn(other)).toBe(false);
    await settled();
    expect(changedTasks((await applyJson(current, [])).json)).toEqual([]);
  }, 300_000);

  it("with nopreempt the drain stops keepalived (a lower priority would not move the VIP), and the roll still keeps the VIP served", async () => {
    await settled();
    const [holder] = await vipHolders(lab);
    const inv = parse(readFileSync(lab.inventoryFile, "utf8")) as {
      lvs: { vrrp: { nopreempt?: boolean }; services: { ports: number[] }[] };
    };
    inv.lvs.vrrp.nopreempt = true;
    inv.lvs.services[0]!.ports = [lab.facts.port, lab.facts.port + 9100];
    const file = lab.inventoryFile.replace(/inventory\.yaml$/, "nopreempt.yaml");
    writeFileSync(file, stringify(inv));
    const run = await applyJson(file, ["--serial", "auto"]);
    expect(describeProblems(run.json)).not.toMatch(/: (failed|unreachable)/);
    expect(run.code, run.stderr.slice(-4000)).toBe(ExitCode.ok);
    const drains = ((run.json as unknown as { drains?: DrainEvent[] }).drains ?? []).filter(
      (d) => d.host === holder,
    );
    const detail = JSON.stringify(drains, null, 1);
    expect(
      drains.map((d) => d.phase),
      detail,
    ).toEqual(["drained", "restored"]);
    expect(drains[0]!.detail, detail).toMatch(/^keepalived stopped; handed over in/);
    expect(drains[1]!.detail, detail).toMatch(new RegExp(`^keepalived running on ${holder} again; `));
    // lvsplay.conf no longer tracks the drain file: nopreempt peers would never take the VIP from a lowered priority.
    for (const d of ["north", "south", "west"]) {
      const conf = await lab.read(d, ["cat", LVSPLAY_CONF]);
      expect(conf).toMatch(/^ {4}nopreempt$/m);
      expect(conf).not.toMatch(/lvsplay_drain/);
    }
    await settled();
  }, 300_000);
});
