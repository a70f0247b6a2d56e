// Issue 4, scenarios 1–5 on one lab, in order: converge a fresh lab, a no-op
// second run, drift detected by check mode (which changes nothing) and
// repaired by apply, reboots of both directors, and a VRRP failover.
// Every state assertion reads the hosts directly (nsenter), not lvsplay's report.
import { describe, expect, it } from "vitest";
import { ExitCode } from "../../src/cli/exit-codes.js";
import { labRestart } from "../../src/lab/index.js";
import {
  expectKeepalivedConf,
  expectKeepalivedRunning,
  expectMarkRule,
  expectPersistedEqualsRuntime,
  expectRealServer,
} from "./support/converged.js";
import { timing, useE2eLab } from "./support/e2e-lab.js";
import {
  CHAIN,
  KEEPALIVED_CONF,
  LVSPLAY_CONF,
  liveChain,
  peerSetEntries,
  processRunning,
  richRules,
  savedChain,
  vipHolders,
  waitFor,
  waitForMaster,
} from "./support/host-state.js";
import { applyJson, changedTasks, describeProblems, recapTotals, runLvsplay } from "./support/lvsplay-cli.js";
import { plainBlocks } from "./support/plain-output.js";
import { labSnapshot } from "./support/snapshot.js";

const lab = useE2eLab("lifecycle");
/** The playbook task that installs lvsplay's keepalived file. */
const KEEPALIVED_TASK = "lvsplay.conf with fwmark services, included from keepalived.conf";

/** apply --json must converge with nothing changed, nothing failed, exit 0. */
async function expectNoOpApply(what: string): Promise<void> {
  const run = await applyJson(lab.inventoryFile);
  timing(`${what}: apply`, run.durationMs);
  expect(describeProblems(run.json), `${what}: tasks that were not ok`).toBe("");
  for (const [host, recap] of Object.entries(run.json.recap))
    expect([host, recap.changed, recap.failed, recap.unreachable]).toEqual([host, 0, 0, 0]);
  expect(run.code).toBe(ExitCode.ok);
}

describe("1. fresh lab → apply", () => {
  it("exits 0 and leaves every host converged", async () => {
    const run = await applyJson(lab.inventoryFile);
    timing("first apply", run.durationMs);
    const { directors, realServers } = lab.facts;
    // Settle VRRP before reading who holds the VIP (a new keepalived needs ~3 advert intervals).
    await waitFor("one director to hold the VIP", async () => (await vipHolders(lab)).length === 1);

    for (const d of directors) {
      const mark = await expectMarkRule(lab, d);
      await expectKeepalivedConf(lab, d, mark);
      await expectPersistedEqualsRuntime(lab, d);
      await expectKeepalivedRunning(lab, d);
    }
    for (const rs of realServers) await expectRealServer(lab, rs);
    expect(await vipHolders(lab)).toHaveLength(1);

    // The run itself: asserted last, so a wrong exit code still shows the host state above.
    expect(describeProblems(run.json), "tasks that did not end ok/changed").not.toMatch(
      /: (failed|unreachable)/,
    );
    expect(recapTotals(run.json.recap).failed).toBe(0);
    expect(run.code).toBe(ExitCode.ok);
    // keepalived started exactly once per director: the restart/reload handlers
    // notified by its options and config find it started after those changes.
    for (const d of directors) {
      const serviceActions = run.json.results
        .filter((r) => r.host === d)
        .flatMap((r) => r.changes.map((c) => c.summary))
        .filter((summary) => /^(start|restart|reload) keepalived\b/.test(summary));
      expect([d, serviceActions]).toEqual([d, ["start keepalived (sysv)"]]);
    }
    // A first apply on a busy machine (packages, firewalld, VRRP) takes longer than the default 30 s.
  }, 180_000);
});

describe("2. second apply", () => {
  it("changes nothing and fails nothing on any host", async () => {
    await expectNoOpApply("no-op");
  });
});

describe("3. manual drift", () => {
  const driftLine = "# e2e drift: a hand edit";
  const foreignLine = "# e2e: the host's own keepalived.conf content, which is not drift";

  it("check --diff shows the deleted rule on ds1 and the edited lvsplay.conf on ds2 (not the host's own keepalived.conf edit), exits 2, changes nothing", async () => {
    const before = await liveChain(lab, "ds1");
    expect(before.rules).toHaveLength(1);
    await lab.read("ds1", ["iptables", "-t", "mangle", "-F", CHAIN]);
    expect((await liveChain(lab, "ds1")).rules).toEqual([]);
    const conf = await lab.read("ds2", ["cat", LVSPLAY_CONF]);
    const append = (line: string, file: string) =>
      lab.read("ds2", ["sh", "-c", 'printf "%s\\n" "$1" >> "$2"', "sh", line, file]);
    await append(driftLine, LVSPLAY_CONF);
    await append(foreignLine, KEEPALIVED_CONF);
    expect(await lab.read("ds2", ["cat", LVSPLAY_CONF])).toBe(`${conf}${driftLine}\n`);

    const snapBefore = await labSnapshot(lab);
    const run = await runLvsplay(["apply", lab.inventoryFile, "--check", "--diff", "--plain"]);
    timing("check --diff", run.durationMs);
    const snapAfter = await labSnapshot(lab);

    const blocks = plainBlocks(run.stdout);
    const ds1Rule = blocks.find(
      (b) => b.host === "ds1" && b.status === "would change" && b.task === "peer-excluding fwmark rules",
    );
    expect(ds1Rule?.body, run.stdout).toContain(`+ ${before.rules[0]}`);
    const ds2Conf = blocks.find(
      (b) => b.host === "ds2" && b.status === "would change" && b.task === KEEPALIVED_TASK,
    );
    expect(ds2Conf?.body, run.stdout).toEqual(
      expect.arrayContaining([
        `--- ${LVSPLAY_CONF} (before)`,
        `+++ ${LVSPLAY_CONF} (after)`,
        expect.stringMatching(/^@@ -\d+,\d+ \+\d+,\d+ @@$/),
        `-${driftLine}`,
      ]),
    );
    expect(ds2Conf?.body.join("\n")).not.toContain(KEEPALIVED_CONF);
    // Nothing else is reported as pending.
    const pending = blocks.filter((b) => b.status === "would change").map((b) => `${b.host} ${b.task}`);
    expect(pending.sort()).toEqual(
      ["ds1 peer-excluding fwmark rules", "ds2 handler: reload keepalived", `ds2 ${KEEPALIVED_TASK}`].sort(),
    );

    expect(snapAfter).toEqual(snapBefore);
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(ExitCode.drift);
  });

  it("apply repairs exactly those: ds1's mark rule, ds2's lvsplay.conf and its reload; the host's own line stays", async () => {
    const run = await applyJson(lab.inventoryFile);
    timing("repair apply", run.durationMs);
    expect(changedTasks(run.json)).toEqual(
      ["ds1 lvs.marks", "ds2 lvs.keepalived", "ds2 service handler"].sort(),
    );
    await expectMarkRule(lab, "ds1");
    expect(await lab.read("ds2", ["cat", LVSPLAY_CONF])).not.toContain(driftLine);
    expect(await lab.read("ds2", ["cat", KEEPALIVED_CONF])).toContain(`${foreignLine}\n`);
    expect(recapTotals(run.json.recap).failed).toBe(0);
    expect(run.code).toBe(ExitCode.ok);
  });

  it("a following apply changes nothing", async () => {
    await expectNoOpApply("after repair");
  });
});

describe("4. reboot of a director", () => {
  it("ds1 (iptables-persistent): rules from rules.v4, sysctls, VIP on lo and keepalived come back", async () => {
    const liveBefore = await liveChain(lab, "ds1");
    const restart = await labRestart("ds1", { stateDir: lab.stateDir });
    timing("restart ds1", restart.durationMs);
    const liveAfter = await liveChain(lab, "ds1");
    expect(liveAfter).toEqual(liveBefore);
    expect(liveAfter).toEqual(await savedChain(lab, "ds1"));
    await expectMarkRule(lab, "ds1");
    await expectRealServer(lab, "ds1");
    await waitFor("keepalived on ds1", () => processRunning(lab, "ds1", "keepalived"), 5_000);
    // ds1 is order[0]: it preempts once its keepalived is up.
    timing("ds1 master again after reboot", await waitForMaster(lab, lab.facts.order[0] ?? "ds1"));
    await expectNoOpApply("after ds1 reboot");
  });

  it("ds2 (firewalld): the ipset and rich rules come back from the permanent config", async () => {
    const permanentBefore = await richRules(lab, "ds2", true);
    const entriesBefore = await peerSetEntries(lab, "ds2", true);
    const restart = await labRestart("ds2", { stateDir: lab.stateDir });
    timing("restart ds2", restart.durationMs);
    await waitFor(
      "firewalld on ds2 to load its rich rules",
      async () => (await richRules(lab, "ds2", false)).length > 0,
      20_000,
    );
    expect(await richRules(lab, "ds2", false)).toEqual(permanentBefore);
    expect(await peerSetEntries(lab, "ds2", false)).toEqual(entriesBefore);
    await expectMarkRule(lab, "ds2");
    await expectRealServer(lab, "ds2");
    await waitFor("keepalived on ds2", () => processRunning(lab, "ds2", "keepalived"), 5_000);
    await waitForMaster(lab, lab.facts.order[0] ?? "ds1");
    await expectNoOpApply("after ds2 reboot");
  });
});

describe("5. VRRP failover", () => {
  it("the VIP moves when the master's keepalived stops, clients are still served, and order[0] takes it back", async () => {
    const [master, ...others] = await vipHolders(lab);
    expect(others).toEqual([]);
    if (!master) throw new Error("no director holds the VIP");
    const backup = lab.facts.directors.find((d) => d !== master) as string;
    const { vip, realServers, clients } = lab.facts;
    const client = clients[0] as string;

    await lab.read(master, ["service", "keepalived", "stop"]);
    try {
      const moved = await waitForMaster(lab, backup, 10_000);
      timing(`VIP moved ${master} → ${backup}`, moved);
      // keepalived gives up the VIP first (priority-0 advert), then exits about a second later.
      await waitFor(
        `keepalived on ${master} to exit`,
        async () => !(await processRunning(lab, master, "keepalived")),
        5_000,
      );
      const answer = await lab.exec(client, ["curl", "-s", "-m", "2", `http://${vip}/`]);
      expect(answer.code).toBe(0);
      expect(realServers).toContain(answer.stdout.trim());
    } finally {
      await lab.read(master, ["service", "keepalived", "start"]);
    }
    // Default preempt: the first director in lvs.vrrp.order is master again.
    const preferred = lab.facts.order[0] as string;
    timing(`${preferred} master again after keepalived start`, await waitForMaster(lab, preferred, 10_000));
    const answer = await lab.exec(client, ["curl", "-s", "-m", "2", `http://${vip}/`]);
    expect(answer.code).toBe(0);
    expect(realServers).toContain(answer.stdout.trim());
  });
});
