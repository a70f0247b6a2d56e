// Issue 12 §4 on a namespace lab: failover hooks from the inventory run when
// VRRP moves. A notify script (every director; ds1 adds a notify_master of its
// own) logs each state change; a track script and, on ds1 only, a tracked
// interface lower the master's priority when they fail. Every assertion reads
// the hosts (nsenter), never lvsplay's report.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { ExitCode } from "../../src/cli/exit-codes.js";
import type { LabNodeSpec } from "../support/lab-topology.js";
import { timing, useE2eLab } from "./support/e2e-lab.js";
import {
  keepalivedPids,
  LVSPLAY_CONF,
  startKeepalived,
  stopKeepalived,
  waitFor,
  waitForMaster,
} from "./support/host-state.js";
import { applyJson, changedTasks, describeProblems } from "./support/lvsplay-cli.js";

const NODES: readonly LabNodeSpec[] = [
  { name: "ds1", groups: ["directors", "realservers"] },
  { name: "ds2", groups: ["directors", "realservers"] },
  { name: "rs3", groups: ["realservers"] },
];
const NOTIFY = "/usr/local/sbin/lvsplay-e2e-notify";
const CHECK = "/usr/local/sbin/lvsplay-e2e-check";
const LOG = "/var/tmp/lvsplay-e2e-vrrp.log";
const HEALTHY = "/run/lvsplay-e2e-healthy";
/** A failover on this busy machine: VRRP needs ~3 s, the lab's processes may wait for CPU much longer. */
const MOVE_MS = 60_000;

const lab = useE2eLab("ka-hooks", { nodes: NODES });

const log = async (node: string): Promise<string[]> =>
  (await lab.exec(node, ["cat", LOG])).stdout.split("\n").filter(Boolean);

/** Waits until `node`'s notify log has a line matching `line` after its first `from` lines. */
const waitForLog = (node: string, from: number, line: RegExp) =>
  waitFor(
    `${node}'s notify log to say ${line}`,
    async () => (await log(node)).slice(from).some((l) => line.test(l)),
    MOVE_MS,
    250,
  );

describe("failover hooks", () => {
  let inventory = "";

  it("apply renders them; the first election already runs the notify scripts", async () => {
    for (const d of ["ds1", "ds2"]) {
      const script = (file: string, body: string) =>
        lab.read(d, ["sh", "-c", 'printf "%s" "$2" > "$1" && chmod 0755 "$1"', "sh", file, body]);
      await script(NOTIFY, `#!/bin/sh\necho "$*" >> ${LOG}\n`);
      await script(CHECK, `#!/bin/sh\ntest -e ${HEALTHY}\n`);
      await lab.read(d, ["touch", HEALTHY]);
    }
    // ds1 tracks an interface of its own (a veth pair inside ds1).
    await lab.read("ds1", ["ip", "link", "add", "trk0", "type", "veth", "peer", "name", "trk1"]);
    await lab.read("ds1", ["ip", "link", "set", "trk0", "up"]);
    await lab.read("ds1", ["ip", "link", "set", "trk1", "up"]);

    const inv = parse(readFileSync(lab.inventoryFile, "utf8"));
    Object.assign(inv.lvs.vrrp, {
      notify: { all: NOTIFY },
      track_scripts: [{ name: "healthy", script: CHECK, interval: 1, weight: -100, fall: 1, rise: 1 }],
      per_director: {
        ds1: {
          notify: { master: `${NOTIFY} ds1-notify-master` },
          track_interfaces: [{ name: "trk0", weight: -100 }],
        },
      },
    });
    inventory = path.join(path.dirname(lab.inventoryFile), "hooks.yaml");
    writeFileSync(inventory, stringify(inv));

    const run = await applyJson(inventory);
    timing("apply with hooks", run.durationMs);
    expect(describeProblems(run.json)).not.toMatch(/: (failed|unreachable)/);
    expect(run.code).toBe(ExitCode.ok);
    const own = await lab.read("ds1", ["cat", LVSPLAY_CONF]);
    expect(own).toContain("vrrp_script lvsplay_healthy {");
    expect(own).toContain(`    notify_master "${NOTIFY} ds1-notify-master" root\n`);
    expect(await lab.read("ds2", ["cat", LVSPLAY_CONF])).not.toContain("trk0");

    await waitForMaster(lab, "ds1", MOVE_MS);
    await waitForLog("ds1", 0, /^INSTANCE VI_LVSPLAY MASTER \d+$/);
    await waitForLog("ds1", 0, /^ds1-notify-master$/);
    await waitForLog("ds2", 0, /^INSTANCE VI_LVSPLAY BACKUP \d+$/);
  });

  it("the master's keepalived stops → the peer's notify script runs as it becomes MASTER; back again when it returns", async () => {
    const ds2Before = (await log("ds2")).length;
    // keepalived hands the VIP over at once and exits about a second later: the
    // start must come after the exit (stopKeepalived), or it starts nothing.
    const [moved, exited] = await Promise.all([
      waitForMaster(lab, "ds2", MOVE_MS),
      stopKeepalived(lab, "ds1", MOVE_MS),
    ]);
    timing("VIP to ds2 after stop", moved);
    timing("keepalived on ds1 exited after stop returned", exited);
    await waitForLog("ds2", ds2Before, /^INSTANCE VI_LVSPLAY MASTER \d+$/);
    await waitForLog("ds1", 0, /^INSTANCE VI_LVSPLAY STOP \d+$/);

    const ds1Before = (await log("ds1")).length;
    await startKeepalived(lab, "ds1", MOVE_MS);
    timing("VIP back on ds1 after start", await waitForMaster(lab, "ds1", MOVE_MS));
    await waitForLog("ds1", ds1Before, /^ds1-notify-master$/);
    await waitForLog("ds2", ds2Before + 1, /^INSTANCE VI_LVSPLAY BACKUP \d+$/);
  });

  it("the lab's keepalived stop waits for the exit: a daemon frozen with SIGTERM pending keeps it waiting; start then runs a new one", async () => {
    // Regression: `service keepalived stop` returns as soon as SIGTERM is sent;
    // a start before the daemon exits starts nothing (this file failed 4 of 5
    // on a quiet machine). Frozen (SIGSTOP), the daemon cannot exit: the wait
    // is shown without depending on how fast keepalived exits.
    const pids = await keepalivedPids(lab, "ds1");
    expect(pids.length, "keepalived runs on ds1").toBeGreaterThan(0);
    const parent = Math.min(...pids);
    const sigtermPending = async () => {
      const status = await lab.read("ds1", ["cat", `/proc/${parent}/status`]);
      const pending = /^ShdPnd:\s*([0-9a-f]+)$/m.exec(status)?.[1] ?? "0";
      return (Number.parseInt(pending.slice(-8), 16) & (1 << 14)) !== 0; // bit 15 - 1: SIGTERM
    };
    const initScriptDone = async () =>
      (await lab.exec("ds1", ["pgrep", "-f", "/etc/init.d/keepalived"])).code === 1;
    await lab.read("ds1", ["kill", "-STOP", ...pids.map(String)]);
    let stopReturned = false;
    const stopping = stopKeepalived(lab, "ds1", MOVE_MS).then(() => {
      stopReturned = true;
    });
    try {
      await waitFor("SIGTERM pending on ds1's frozen keepalived", sigtermPending, MOVE_MS);
      await waitFor("ds1's init script to finish its stop", initScriptDone, MOVE_MS);
      // The stop command is over; a helper that did not wait for the exit would return now.
      await new Promise((r) => setTimeout(r, 2_000));
      expect(stopReturned, "stopKeepalived returned while keepalived still ran").toBe(false);
      expect(await keepalivedPids(lab, "ds1")).toEqual(pids);
    } finally {
      await lab.read("ds1", ["kill", "-CONT", ...pids.map(String)]);
    }
    await stopping;
    expect(await keepalivedPids(lab, "ds1")).toEqual([]);
    await startKeepalived(lab, "ds1", MOVE_MS);
    expect((await keepalivedPids(lab, "ds1")).some((p) => pids.includes(p))).toBe(false);
    timing("VIP back on ds1 after the frozen stop", await waitForMaster(lab, "ds1", MOVE_MS));
  });

  it("a failing track script hands the VIP over (weight -100), and it comes back when the check passes", async () => {
    const before = (await log("ds2")).length;
    await lab.read("ds1", ["rm", "-f", HEALTHY]);
    timing("VIP to ds2 after the check failed", await waitForMaster(lab, "ds2", MOVE_MS));
    await waitForLog("ds2", before, /^INSTANCE VI_LVSPLAY MASTER \d+$/);
    await lab.read("ds1", ["touch", HEALTHY]);
    timing("VIP back on ds1 after the check passed", await waitForMaster(lab, "ds1", MOVE_MS));
  });

  it("ds1's own tracked interface going down hands the VIP over; ds2 tracks none", async () => {
    await lab.read("ds1", ["ip", "link", "set", "trk0", "down"]);
    timing("VIP to ds2 after trk0 went down", await waitForMaster(lab, "ds2", MOVE_MS));
    await lab.read("ds1", ["ip", "link", "set", "trk0", "up"]);
    timing("VIP back on ds1 after trk0 came up", await waitForMaster(lab, "ds1", MOVE_MS));
  });

  it("a second apply changes nothing", async () => {
    const run = await applyJson(inventory);
    expect(changedTasks(run.json)).toEqual([]);
    expect(run.code).toBe(ExitCode.ok);
  });
});
