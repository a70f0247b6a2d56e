// Boots the real-IPVS guest: Debian's kernel under QEMU (TCG) on the machine's
// own root filesystem, and waits until its agent answers.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { waitForAgent } from "./agent-client.js";
import { AGENT_PORT } from "./agent-source.js";
import { writeGuestFiles } from "./guest-files.js";
import { GUEST_ADDRESS } from "./init-script.js";
import { ensureInitramfs } from "./initramfs.js";
import { ensureKernel } from "./kernel.js";
import { assertGuestSafePath } from "./paths.js";
import { freeLoopbackPort } from "./ports.js";
import { qemuArgs } from "./qemu-args.js";
import { isOurQemu, qemuRssMb, startQemu } from "./qemu-process.js";
import { readVmState, type VmState, writeVmState } from "./vm-state.js";

export interface VmBootOptions {
  /** Shared read-write with the guest at the same absolute path. Created if missing. */
  readonly stateDir: string;
  readonly memoryMb?: number;
  readonly cpus?: number;
  /** TCG translation cache, MiB (default 256; QEMU's own default of 1024 mostly costs RSS). */
  readonly tbSizeMb?: number;
  /** Hang guard for the guest agent to answer (default 15 min: emulation on a busy machine is slow). */
  readonly bootTimeoutMs?: number;
  readonly log?: (line: string) => void;
}

export interface VmBootResult {
  readonly state: VmState;
  /** QEMU's resident memory right after boot, MiB. */
  readonly rssMb: number | undefined;
}

export const defaultLog = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

/** Boots the guest and waits for its agent; vm.json is written before QEMU starts work. */
export async function vmBoot(opts: VmBootOptions): Promise<VmBootResult> {
  const log = opts.log ?? defaultLog;
  const stateDir = resolve(opts.stateDir);
  assertGuestSafePath(stateDir, "state dir");
  const existing = readVmState(stateDir);
  if (existing && isOurQemu(existing.pid))
    throw new Error(`a VM already runs for ${stateDir} (pid ${existing.pid})`);
  const createdStateDir = !existsSync(stateDir);
  mkdirSync(stateDir, { recursive: true });

  const started = Date.now();
  const kernel = await ensureKernel();
  assertGuestSafePath(kernel.modulesDir, "kernel modules");
  const initrd = ensureInitramfs(kernel);
  const token = randomBytes(32).toString("hex");
  const files = writeGuestFiles(
    stateDir,
    { token, address: GUEST_ADDRESS, port: AGENT_PORT, logFile: join(stateDir, "vm", "agent.log") },
    process.execPath,
  );
  // Unix socket paths are limited to 108 bytes.
  let qmpSocket = join(files.vmDir, "qmp.sock");
  let socketDir: string | undefined;
  if (qmpSocket.length > 100) {
    socketDir = mkdtempSync(join(tmpdir(), "lvsplay-qmp-"));
    qmpSocket = join(socketDir, "qmp.sock");
  }
  const agentPort = await freeLoopbackPort();
  const pidFile = join(files.vmDir, "qemu.pid");
  const consoleLog = join(files.vmDir, "console.log");
  const args = qemuArgs({
    vmlinuz: kernel.vmlinuz,
    initrd,
    kernelVersion: kernel.version,
    modulesDir: kernel.modulesDir,
    stateDir,
    consoleLog,
    qmpSocket,
    pidFile,
    memoryMb: opts.memoryMb ?? 2048,
    cpus: opts.cpus ?? 2,
    tbSizeMb: opts.tbSizeMb ?? 256,
    forwards: [{ hostPort: agentPort, guestPort: AGENT_PORT }],
  });
  const prepMs = Date.now() - started;
  let pid: number;
  try {
    pid = await startQemu(args, pidFile);
  } catch (e) {
    // Nothing runs yet, so there is no vm.json for vmDown: clean up here.
    rmSync(createdStateDir ? stateDir : files.vmDir, { recursive: true, force: true });
    if (socketDir) rmSync(socketDir, { recursive: true, force: true });
    throw e;
  }
  let state: VmState = {
    pid,
    stateDir,
    createdStateDir,
    vmDir: files.vmDir,
    qmpSocket,
    ...(socketDir ? { socketDir } : {}),
    consoleLog,
    agent: { port: agentPort, token },
    kernelVersion: kernel.version,
    bootMs: 0,
    forwards: [{ name: "agent", hostPort: agentPort, guestPort: AGENT_PORT }],
    createdPaths: [],
  };
  writeVmState(state);
  const bootMs = await waitForAgent(state.agent, opts.bootTimeoutMs ?? 15 * 60_000, () =>
    isOurQemu(pid),
  ).catch((e: unknown) => {
    throw new Error(`${String(e)}; see ${consoleLog} and ${files.bootLog}`);
  });
  state = { ...state, bootMs };
  writeVmState(state);
  const rssMb = qemuRssMb(pid);
  log(
    `lvsplay vm: kernel ${kernel.version} booted in ${(bootMs / 1000).toFixed(1)} s ` +
      `(prepare ${(prepMs / 1000).toFixed(1)} s), QEMU pid ${pid}, RSS ${rssMb ?? "?"} MiB`,
  );
  return { state, rssMb };
}
