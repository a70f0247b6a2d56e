// Issue 11, part 4: never two applies at once. An apply holds flock on
// /run/lock/lvsplay.lock on every host it may change; an overlapping apply fails
// before any change (exit 1) naming the holder; audit and --check are never
// blocked; a lock whose holder is gone is taken over and said so.
import { describe, expect, it } from "vitest";
import { ExitCode } from "../../src/cli/exit-codes.js";
import { timing, useE2eLab } from "./support/e2e-lab.js";
import { applyJson, runLvsplay } from "./support/lvsplay-cli.js";
import { labSnapshot } from "./support/snapshot.js";

const lab = useE2eLab("day2-lock", {
  nodes: [
    { name: "north", groups: ["directors", "realservers"], iface: "lan0" },
    { name: "south", groups: ["directors", "realservers"], iface: "lan0" },
    { name: "viewer", groups: ["clients"], iface: "lan0" },
  ],
});

const OWNER = "lvsplay apply /etc/lvsplay/inv.yaml by ops@elsewhere pid 4242 since 2030-01-01T00:00:00.000Z";

describe("the cluster lock", () => {
  it("converges first (exit 0) and leaves no lock behind", async () => {
    const run = await applyJson(lab.inventoryFile);
    timing("first apply", run.durationMs);
    expect(run.code, run.stderr.slice(-3000)).toBe(ExitCode.ok);
    expect(run.stderr).toMatch(/lock: held on 3 host\(s\)/);
    for (const node of ["north", "south", "viewer"]) {
      const owner = await lab.exec(node, ["cat", "/run/lock/lvsplay.owner"]);
      expect(owner.code, `${node}: the owner record is removed on release`).not.toBe(0);
    }
  }, 180_000);

  it("an apply that overlaps a holder fails before any change, naming it; audit and --check are not blocked", async () => {
    // Another run's holder on south: flock held by a process of "its" session.
    const pid = (
      await lab.read("south", [
        "sh",
        "-c",
        'printf "%s\\n" "$1" > /run/lock/lvsplay.owner; setsid flock -n /run/lock/lvsplay.lock sleep 120 >/dev/null 2>&1 & echo $!',
        "sh",
        OWNER,
      ])
    ).trim();
    try {
      const before = await labSnapshot(lab);
      const run = await runLvsplay(["apply", lab.inventoryFile, "--plain"]);
      expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(ExitCode.invalid);
      expect(run.stderr).toContain(`south is locked by ${OWNER}`);
      expect(run.stdout).not.toMatch(/STAGE/);
      expect(await labSnapshot(lab)).toEqual(before);
      const check = await runLvsplay(["apply", lab.inventoryFile, "--check", "--plain"]);
      expect(check.code, check.stdout).toBe(ExitCode.ok);
      const audit = await runLvsplay(["audit", lab.inventoryFile]);
      expect(audit.code, audit.stdout).toBe(ExitCode.ok);
      // A run that does not change south is not blocked by south's lock.
      const north = await runLvsplay(["apply", lab.inventoryFile, "--limit", "north", "--plain"]);
      expect(north.code, north.stdout).toBe(ExitCode.ok);
    } finally {
      // setsid made the holder a process group of its own: end flock and its sleep.
      await lab.exec("south", ["kill", "--", `-${pid}`]);
    }
  }, 180_000);

  it("a lock whose holder is gone is taken over, and the run says so", async () => {
    // The holder above was killed: its owner record is still there, the flock is not.
    expect(await lab.read("south", ["cat", "/run/lock/lvsplay.owner"])).toContain(OWNER);
    const run = await runLvsplay(["apply", lab.inventoryFile, "--plain"]);
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(ExitCode.ok);
    expect(run.stdout).toContain(`taken over from a holder that is gone: south (${OWNER})`);
  }, 180_000);

  it("two applies started together: one holds the lock, the other fails fast naming it", async () => {
    const [a, b] = await Promise.all([
      runLvsplay(["apply", lab.inventoryFile, "--plain", "--serial", "1"]),
      runLvsplay(["apply", lab.inventoryFile, "--plain", "--serial", "1"]),
    ]);
    const codes = [a.code, b.code].sort();
    // Both may finish without overlapping on a converged cluster; when they overlap, exactly one fails
    // (they meet at the first host: never both).
    expect(codes, `${a.stderr}\n${b.stderr}`).toContain(ExitCode.ok);
    if (codes[1] === ExitCode.invalid)
      expect(`${a.stderr}${b.stderr}`).toMatch(/is locked by lvsplay apply .* pid \d+ since /);
  }, 180_000);
});
