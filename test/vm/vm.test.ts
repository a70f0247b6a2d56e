// The real-IPVS tier end to end: Debian's kernel under QEMU (TCG), the lab
// payload inside, SSH from the machine through the forwards, then a clean down.
// Slow by nature (emulation): one guest for the whole file.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { agentCall } from "../../src/lab/vm/agent-client.js";
import { type VmUpResult, vmDown, vmExec, vmUp } from "../../src/lab/vm/guest.js";
import { ensureInitramfs } from "../../src/lab/vm/initramfs.js";
import { ensureKernel, REQUIRED_MODULES } from "../../src/lab/vm/kernel.js";
import { readModuleIndex } from "../../src/lab/vm/modules-dep.js";
import { isOurQemu, processGone, qemuCpuSeconds, qemuRssMb } from "../../src/lab/vm/qemu-process.js";
import { readVmState } from "../../src/lab/vm/vm-state.js";

const FAKE_LAB = fileURLToPath(new URL("./fake-lab.sh", import.meta.url));
const TOPOLOGY = fileURLToPath(new URL("../../containerlab/lvs.clab.yml", import.meta.url));

function ssh(
  up: VmUpResult,
  port: number,
  remote: string[],
): Promise<{ code: number; stdout: string; ms: number }> {
  const started = Date.now();
  const args = ["-F", "/dev/null", "-i", up.identityFile, "-o", `UserKnownHostsFile=${up.knownHostsFile}`];
  args.push("-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-o", "ConnectTimeout=30");
  args.push("-p", String(port), "root@127.0.0.1", "--", ...remote);
  return new Promise((resolve) => {
    execFile("ssh", args, { encoding: "utf8", timeout: 120_000 }, (err, stdout) => {
      const code = err ? (typeof err.code === "number" ? err.code : 255) : 0;
      resolve({ code, stdout, ms: Date.now() - started });
    });
  });
}

describe("kernel and initramfs cache", () => {
  it("extracts an IPVS-capable kernel once, then answers from the cache", async () => {
    const first = await ensureKernel();
    const t = Date.now();
    const second = await ensureKernel();
    const cachedMs = Date.now() - t;
    console.log(`kernel ${second.version}: cached lookup ${cachedMs} ms`);
    expect(second).toEqual(first);
    expect(cachedMs).toBeLessThan(200);
    expect(existsSync(first.vmlinuz)).toBe(true);
    const index = readModuleIndex(first.modulesDir);
    for (const m of REQUIRED_MODULES) expect(index.paths.has(m) || index.builtin.has(m), m).toBe(true);
    expect(readFileSync(join(first.modulesDir, "modules.dep"), "utf8")).toMatch(
      /ipvs\/ip_vs_rr\.ko.*: .*ip_vs\.ko/,
    );
  }, 600_000);

  it("builds the initramfs once per content hash", async () => {
    const kernel = await ensureKernel();
    const a = ensureInitramfs(kernel);
    const mtime = statSync(a).mtimeMs;
    const b = ensureInitramfs(kernel);
    expect(b).toBe(a);
    expect(statSync(b).mtimeMs).toBe(mtime);
    expect(a).toMatch(new RegExp(`initramfs-${kernel.version}-[0-9a-f]{16}\\.cpio\\.gz$`));
  }, 120_000);
});

describe("guest with real IPVS", () => {
  const parent = mkdtempSync(join(tmpdir(), "lvsplay-vmtest-"));
  // Not created yet: vmUp creates it, so vmDown must remove it entirely.
  const stateDir = join(parent, "state");
  const ex = { stateDir };
  let up: VmUpResult;

  beforeAll(async () => {
    up = await vmUp({ stateDir, topology: TOPOLOGY, labCommand: ["/bin/sh", FAKE_LAB], log: console.log });
    console.log(`boot ${up.bootMs} ms, lab up ${up.labUpMs} ms, QEMU RSS ${up.rssMb} MiB`);
  }, 600_000);

  afterAll(async () => {
    // Safety net when a test failed before the down test ran.
    await vmDown({ stateDir }).catch(() => undefined);
    rmSync(parent, { recursive: true, force: true });
  }, 120_000);

  it("runs Debian's kernel with /proc/net/ip_vs", async () => {
    const uname = await vmExec(["uname", "-r"], ex);
    expect(uname.code).toBe(0);
    expect(uname.stdout.trim()).toBe((await ensureKernel()).version);
    const ipvs = await vmExec(["cat", "/proc/net/ip_vs"], ex);
    expect(ipvs.code).toBe(0);
    expect(ipvs.stdout).toContain("IP Virtual Server version");
  });

  it("loads the lab's modules with modprobe", async () => {
    const r = await vmExec(["modprobe", "-a", "ip_vs", "ip_vs_rr", "xt_mac", "xt_mark"], ex);
    expect(r.code, r.stderr).toBe(0);
    const lsmod = (await vmExec(["cat", "/proc/modules"], ex)).stdout;
    for (const m of ["ip_vs_rr", "xt_mac", "xt_mark"]) expect(lsmod).toMatch(new RegExp(`^${m} `, "m"));
  });

  it("creates, lists and deletes a virtual service with ipvsadm", async () => {
    const add = await vmExec(["ipvsadm", "-A", "-t", "7.7.7.100:80", "-s", "rr"], ex);
    expect(add.code, add.stderr).toBe(0);
    expect((await vmExec(["ipvsadm", "-a", "-t", "7.7.7.100:80", "-r", "7.7.7.13:80", "-g"], ex)).code).toBe(
      0,
    );
    const listed = await vmExec(["ipvsadm", "-Ln", "-t", "7.7.7.100:80"], ex);
    expect(listed.stdout).toMatch(/TCP\s+7\.7\.7\.100:80 rr/);
    expect(listed.stdout).toMatch(/7\.7\.7\.13:80\s+Route\s+1/);
    expect((await vmExec(["ipvsadm", "-D", "-t", "7.7.7.100:80"], ex)).code).toBe(0);
    expect((await vmExec(["ipvsadm", "-Ln"], ex)).stdout).not.toContain("7.7.7.100");
  });

  it("reports exit codes and passes stdin", async () => {
    expect((await vmExec(["sh", "-c", "exit 3"], ex)).code).toBe(3);
    expect((await vmExec(["cat"], { ...ex, stdin: "over the agent\n" })).stdout).toBe("over the agent\n");
    const missing = await vmExec(["/nonexistent/program"], ex);
    expect(missing.code).toBe(127);
  });

  it("refuses agent requests without the token", async () => {
    const state = readVmState(stateDir)!;
    await expect(agentCall({ port: state.agent.port, token: "wrong" }, "/ping", {}, 5000)).rejects.toThrow(
      /401/,
    );
  });

  it("writes a machine inventory whose hosts answer SSH on 127.0.0.1", async () => {
    const doc = parse(readFileSync(up.inventoryFile, "utf8"));
    expect(doc.lvs.vrrp_only).toBe(false);
    const ds1 = doc.hosts.ds1;
    expect(ds1.address).toBe("127.0.0.1");
    expect(ds1.data_address).toBe("7.7.7.11");
    expect(readFileSync(up.knownHostsFile, "utf8")).toMatch(
      new RegExp(`^\\[127\\.0\\.0\\.1\\]:${ds1.port} ssh-ed25519 `),
    );
    const first = await ssh(up, ds1.port, ["ip", "-4", "-o", "addr", "show", "dev", "eth1"]);
    const again = await ssh(up, ds1.port, ["true"]);
    console.log(`ssh via forward: first ${first.ms} ms, again ${again.ms} ms`);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("inet 7.7.7.11/24");
    expect(again.code).toBe(0);
  }, 240_000);

  it("refuses a second vmUp on the same state dir and leaves the running guest alone", async () => {
    await expect(vmUp({ stateDir, topology: TOPOLOGY, labCommand: ["/bin/false"] })).rejects.toThrow(
      /already runs/,
    );
    expect((await vmExec(["true"], ex)).code).toBe(0);
  });

  it("powers off on down and leaves no QEMU process and no files", async () => {
    const pid = up.qemuPid;
    const state = readVmState(stateDir)!;
    console.log(`QEMU after tests: RSS ${qemuRssMb(pid)} MiB, CPU ${qemuCpuSeconds(pid)} s`);
    expect(isOurQemu(pid)).toBe(true);
    const down = await vmDown({ stateDir, log: console.log });
    expect(down?.stopped).toBe("poweroff");
    // QEMU daemonized, so the machine's PID 1 reaps it: a zombie for a moment is fine.
    expect(processGone(pid)).toBe(true);
    expect(existsSync(stateDir)).toBe(false);
    expect(readdirSync(parent)).toEqual([]);
    if (state.socketDir) expect(existsSync(state.socketDir)).toBe(false);
  }, 120_000);
});

describe("a failing lab inside the guest", () => {
  it("stops the guest and removes everything, reporting the guest's logs", async () => {
    const parent = mkdtempSync(join(tmpdir(), "lvsplay-vmfail-"));
    const stateDir = join(parent, "state");
    try {
      let pid = 0;
      const error = await vmUp({
        stateDir,
        topology: TOPOLOGY,
        labCommand: ["/bin/false"],
        log: (line) => {
          const m = /QEMU pid (\d+)/.exec(line);
          if (m) pid = Number(m[1]);
        },
      }).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(error?.message).toMatch(/in guest: \/bin\/false lab up .* → 1/);
      expect(error?.message).toContain("--- guest agent.log (last lines) ---");
      expect(pid).toBeGreaterThan(1);
      expect(processGone(pid)).toBe(true);
      expect(existsSync(stateDir)).toBe(false);
    } finally {
      await vmDown({ stateDir }).catch(() => undefined);
      rmSync(parent, { recursive: true, force: true });
    }
  }, 600_000);
});
