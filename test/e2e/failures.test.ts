// Issue 4, scenarios 6–7 on a fresh lab: invalid input touches no host (not
// even an SSH connection), and a host that is down from the start is reported
// unreachable while the others converge.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ExitCode } from "../../src/cli/exit-codes.js";
import { expectMarkRule, expectPersistedEqualsRuntime, expectRealServer } from "./support/converged.js";
import { timing, useE2eLab } from "./support/e2e-lab.js";
import { processRunning, waitFor } from "./support/host-state.js";
import { applyJson, describeProblems, runLvsplay } from "./support/lvsplay-cli.js";
import { labSnapshot, sshdLogs } from "./support/snapshot.js";

const lab = useE2eLab("failures");

describe("7. invalid inventory", () => {
  let stderr = "";

  it("exits 1, names file:line:col and the key, and contacts no host", async () => {
    const lines = readFileSync(lab.inventoryFile, "utf8").split("\n");
    const hostLine = lines.indexOf("  ds1:");
    expect(hostLine, "the lab inventory has a ds1 entry").toBeGreaterThan(0);
    const typoLine = hostLine + 2; // 1-based number of the inserted line
    lines.splice(hostLine + 1, 0, "    prot: 2222");
    const typoFile = path.join(lab.stateDir, "typo-inventory.yaml");
    writeFileSync(typoFile, lines.join("\n"));

    const snapBefore = await labSnapshot(lab);
    const logsBefore = await sshdLogs(lab);
    const run = await runLvsplay(["apply", typoFile, "--json"]);
    expect(await sshdLogs(lab), "sshd logs (any connection adds a line)").toEqual(logsBefore);
    expect(await labSnapshot(lab)).toEqual(snapBefore);

    expect(run.stderr).toContain(`${typoFile}:${typoLine}:5`);
    expect(run.stderr).toMatch(/hosts\.ds1\.prot: unknown key "prot"/);
    expect(run.stdout).toBe("");
    expect(run.code).toBe(ExitCode.invalid);
    stderr = run.stderr;
  });

  it('suggests the key the README promises: (did you mean "port"?)', () => {
    expect(stderr, "the previous test ran").not.toBe("");
    expect(stderr).toMatch(/did you mean "port"/);
  });
});

describe("6. a host that is down from the start", () => {
  it("is reported unreachable while the others converge; exit 3", async () => {
    // pkill runs in rs3's own PID namespace: only rs3's sshd dies.
    await lab.read("rs3", ["pkill", "-x", "sshd"]);
    await waitFor("rs3's sshd to exit", async () => !(await processRunning(lab, "rs3", "sshd")), 5_000);
    expect(await processRunning(lab, "ds1", "sshd")).toBe(true);

    const run = await applyJson(lab.inventoryFile);
    timing("apply with rs3 down", run.durationMs);
    const { recap } = run.json;
    expect(recap["rs3"]?.unreachable).toBeGreaterThanOrEqual(1);
    expect(run.json.results.filter((r) => r.host === "rs3" && r.status !== "unreachable")).toEqual([]);
    const problems = describeProblems(run.json)
      .split("\n")
      .filter((l) => l && !l.startsWith("rs3 ") && !/: changed/.test(l));
    expect(problems, "tasks of reachable hosts that failed").toEqual([]);
    for (const host of ["ds1", "ds2", "client"])
      expect([host, recap[host]?.failed, recap[host]?.unreachable]).toEqual([host, 0, 0]);

    // The reachable hosts really converged (read directly).
    for (const d of lab.facts.directors) {
      await expectMarkRule(lab, d);
      await expectPersistedEqualsRuntime(lab, d);
      await expectRealServer(lab, d);
    }
    expect(run.code).toBe(ExitCode.hostsFailed);
  });
});
