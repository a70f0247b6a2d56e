// The namespace lab end to end (root only): up, SSH with strict host key
// checking, HTTP, fixed MACs, idempotent up, restart keeping disk state, and a
// down that leaves nothing behind — also after a deliberately failed up.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LabError, labDown, labExec, labRestart, labSshArgv, labStatus, labUp } from "../../src/lab/index.js";
import { readState } from "../../src/lab/state.js";
import { loadTopology } from "../../src/lab/topology.js";
import { reserveLabSlot, slotSpec, topologyYaml } from "../support/lab-topology.js";

// The canonical lab's nodes, under names and a subnet of this file's own.
const slot = reserveLabSlot();
const spec = slotSpec(slot);
const scratch = mkdtempSync(path.join(tmpdir(), "lvsplay-lab-test-"));
const topologyFile = path.join(scratch, "lab.clab.yml");
writeFileSync(topologyFile, topologyYaml(spec));
const topology = loadTopology(topologyFile);
const bridgeAddress = `${spec.subnet}.1/24`;
const stateDir = path.join(scratch, "lab");
const failedStateDir = path.join(scratch, "failed-lab");

type Pid = { pid: number; startTime: string };

/** Every PID a state record holds (launchers and PID 1s), read before `down` removes it. */
function recordedPids(dir: string): Pid[] {
  const state = readState(dir);
  if (!state) return [];
  return Object.values(state.hosts).flatMap((h) =>
    [h.launcher, h.init].filter((p): p is Pid => p !== undefined),
  );
}

function isRunning(p: Pid): boolean {
  try {
    const stat = readFileSync(`/proc/${p.pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[19] === p.startTime && fields[0] !== "Z";
  } catch {
    return false;
  }
}

/** Asserts nothing of the lab is left on the machine. */
function expectNothingLeft(dir: string, pids: Pid[]): void {
  const netns = spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout;
  expect(netns).not.toMatch(new RegExp(`clab-${spec.lab}-`));
  const links = spawnSync("ip", ["-o", "link", "show"], { encoding: "utf8" }).stdout;
  for (const name of [spec.bridge, ...topology.hosts.map((h) => h.bridgePort)])
    expect(links).not.toMatch(new RegExp(`^\\d+: ${name}[@:]`, "m"));
  const addrs = spawnSync("ip", ["-4", "-o", "addr", "show"], { encoding: "utf8" }).stdout;
  expect(addrs).not.toContain(bridgeAddress);
  const mounts = readFileSync("/proc/mounts", "utf8");
  expect(mounts).not.toContain(dir);
  expect(mounts).not.toContain(`/run/netns/clab-${spec.lab}-`);
  expect(pids.length).toBeGreaterThan(0);
  for (const p of pids) expect(isRunning(p), `pid ${p.pid}`).toBe(false);
  expect(existsSync(dir)).toBe(false);
}

function ssh(node: string, command: string[]) {
  const [program, ...args] = labSshArgv(node, command, { stateDir });
  return spawnSync(program!, args, { encoding: "utf8", timeout: 20_000 });
}

describe("namespace lab", () => {
  let upPids: Pid[] = [];

  beforeAll(() => {
    if (process.getuid?.() !== 0) throw new Error("the lab tests need root (network namespaces, mounts)");
  });

  afterAll(async () => {
    await labDown({ stateDir }).catch(() => {});
    await labDown({ stateDir: failedStateDir }).catch(() => {});
    rmSync(scratch, { recursive: true, force: true });
    slot.release();
  });

  it("up builds every node", async () => {
    const result = await labUp({ topologyFile, stateDir });
    console.log(`lab up: ${result.durationMs} ms`);
    expect(result.outcome).toBe("created");
    for (const file of [result.inventoryFile, result.knownHostsFile, result.keyFile])
      expect(existsSync(file)).toBe(true);
    const status = await labStatus({ stateDir });
    expect(status.complete).toBe(true);
    expect(status.nodes.map((n) => [n.name, n.running, n.sshd])).toEqual(
      topology.hosts.map((h) => [h.name, true, true]),
    );
    upPids = recordedPids(stateDir);
  });

  it("every node answers `ssh root@ADDR hostname` with strict host key checking", () => {
    for (const host of topology.hosts) {
      const result = ssh(host.name, ["hostname"]);
      expect(result.stderr).not.toMatch(/warning|differs|Host key verification failed/i);
      expect([host.name, result.status, result.stdout.trim()]).toEqual([host.name, 0, host.name]);
    }
    // the known_hosts is real: a wrong key for one address must make ssh refuse
    const known = path.join(stateDir, "known_hosts");
    const original = readFileSync(known, "utf8");
    const otherKey = original.split("\n")[1]!.split(" ").slice(1).join(" ");
    const ds1 = topology.hosts.find((h) => h.name === "ds1")!.address;
    writeFileSync(
      known,
      original.replace(new RegExp(`^${ds1.replaceAll(".", "\\.")} .*$`, "m"), `${ds1} ${otherKey}`),
    );
    try {
      expect(ssh("ds1", ["hostname"]).status).not.toBe(0);
    } finally {
      writeFileSync(known, original);
    }
  });

  it("the client gets each node's host name over HTTP on port 80", async () => {
    for (const host of topology.hosts) {
      const result = await labExec("client", ["curl", "-s", "-m", "3", `http://${host.address}/`], {
        stateDir,
      });
      expect([host.name, result.stdout.trim()]).toEqual([host.name, host.name]);
    }
  });

  it("MACs and host names are the fixed ones; firewalld runs on ds2 only", async () => {
    for (const host of topology.hosts) {
      const mac = await labExec(host.name, ["cat", `/sys/class/net/${host.interface}/address`], { stateDir });
      expect(mac.stdout.trim()).toBe(host.mac);
      expect((await labExec(host.name, ["hostname"], { stateDir })).stdout.trim()).toBe(host.name);
    }
    const bridge = topology.bridges[0]!;
    expect(readFileSync(`/sys/class/net/${bridge.name}/address`, "utf8").trim()).toBe(bridge.mac);
    expect((await labExec("ds2", ["firewall-cmd", "--state"], { stateDir })).stdout.trim()).toBe("running");
    expect((await labExec("ds1", ["firewall-cmd", "--state"], { stateDir })).code).not.toBe(0);
  });

  it("up again is idempotent", async () => {
    const again = await labUp({ topologyFile, stateDir });
    expect(again.outcome).toBe("already-up");
    expect(recordedPids(stateDir)).toEqual(upPids);
  });

  it("restart keeps the node's disk and runs its boot loaders", async () => {
    const before = readState(stateDir)!.hosts["ds1"]!.init!;
    const write = await labExec(
      "ds1",
      [
        "sh",
        "-c",
        "echo kept > /etc/lab-probe && printf '*mangle\\n-A PREROUTING -d 192.0.2.100/32 -j MARK --set-mark 0x3\\nCOMMIT\\n' > /etc/iptables/rules.v4",
      ],
      { stateDir },
    );
    expect(write.code).toBe(0);
    const result = await labRestart("ds1", { stateDir });
    console.log(`lab restart ds1: ${result.durationMs} ms`);
    const after = readState(stateDir)!.hosts["ds1"]!.init!;
    expect(after.pid).not.toBe(before.pid);
    expect(isRunning(before)).toBe(false);
    expect((await labExec("ds1", ["cat", "/etc/lab-probe"], { stateDir })).stdout).toBe("kept\n");
    const rules = await labExec("ds1", ["iptables", "-t", "mangle", "-S", "PREROUTING"], { stateDir });
    expect(rules.stdout).toContain("--set-xmark 0x3");
    expect(ssh("ds1", ["hostname"]).stdout.trim()).toBe("ds1"); // same host key: known_hosts still valid
    upPids = recordedPids(stateDir).concat(before);
  });

  it("down leaves no namespace, link, process, mount or file behind", async () => {
    const pids = recordedPids(stateDir).concat(upPids);
    const result = await labDown({ stateDir });
    console.log(`lab down: ${result.durationMs} ms`);
    expect(result.wasUp).toBe(true);
    expectNothingLeft(stateDir, pids);
    expect((await labDown({ stateDir })).wasUp).toBe(false);
  });

  it("down after a deliberately failed up also cleans up", async () => {
    const broken = path.join(scratch, "broken.clab.yml");
    // rs3's boot commands fail: up stops half-way, after ds1 and ds2 were built.
    const nodes = spec.nodes.map((n) => (n.name === "rs3" ? { ...n, exec: ["sh -c 'exit 7'"] } : n));
    writeFileSync(broken, topologyYaml({ ...spec, nodes }));
    await expect(labUp({ topologyFile: broken, stateDir: failedStateDir })).rejects.toThrow(LabError);
    const state = readState(failedStateDir);
    expect(state?.complete).toBe(false);
    const pids = recordedPids(failedStateDir);
    expect(existsSync(`/sys/class/net/${spec.bridge}`)).toBe(true);
    await expect(labUp({ topologyFile: broken, stateDir: failedStateDir })).rejects.toThrow(/lab down/);
    await labDown({ stateDir: failedStateDir });
    expectNothingLeft(failedStateDir, pids);
  });
});
