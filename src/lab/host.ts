// One namespace host: a netns, a veth into the lab bridge, a PID-1 process in
// fresh mount/uts/ipc/pid namespaces, a private filesystem, node-boot, sshd and
// the topology's `exec` commands. Every created thing is recorded (and saved)
// right after it exists, so `down` can undo a half-built host.
import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync } from "node:fs";
import path from "node:path";
import {
  HOST_MOUNTS,
  INIT_SCRIPT,
  NFTABLES_HOST_SCRIPT,
  SETUP_SCRIPT,
  START_SSHD_SCRIPT,
} from "./host-scripts.js";
import { deleteLink, deleteNetns, netnsPath, waitForSsh } from "./net.js";
import { childrenOf, isAlive, record, stopProcess } from "./process.js";
import { exitText, must, type RunOptions, type RunResult, run, SYSTEM_PATH } from "./run.js";
import { type HostRecord, packageRoot, type RecordedProcess } from "./state.js";
import type { LabHost } from "./topology.js";
import { waitUntil } from "./wait.js";

export interface HostContext {
  /** The host's record in the lab state (mutated, then saved through `save`). */
  readonly record: HostRecord;
  readonly save: () => void;
  /** Public key line installed as root's authorized_keys. */
  readonly authorizedKey: string;
}

export const netnsName = (lab: string, host: string) => `clab-${lab}-${host}`;

/** The environment every command inside a host starts with (never the caller's PATH). */
export function hostEnv(host: LabHost, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: SYSTEM_PATH,
    HOME: "/root",
    LANG: "C.UTF-8",
    ...(host.firewalld ? { LVSPLAY_FIREWALLD: "true" } : {}),
    ...host.env,
    ...extra,
  };
}

/** Runs argv inside every namespace of the host (not `ip netns exec`, which only switches the netns). */
export function execInHost(
  init: RecordedProcess,
  argv: readonly string[],
  opts: RunOptions = {},
): Promise<RunResult> {
  if (!isAlive(init)) throw new Error(`host PID 1 (${init.pid}) is not running`);
  return run(["nsenter", "-t", String(init.pid), "-a", "--wd=/", "--", ...argv], {
    env: { PATH: SYSTEM_PATH, HOME: "/root", LANG: "C.UTF-8" },
    ...opts,
  });
}

async function mustInHost(
  init: RecordedProcess,
  host: string,
  what: string,
  argv: string[],
  opts: RunOptions,
) {
  const result = await execInHost(init, argv, opts);
  if (result.code !== 0)
    throw new Error(
      `${host}: ${what} failed (${exitText(result)}): ${result.stderr.trim() || result.stdout.trim()}`,
    );
  return result.stdout;
}

export async function startHost(host: LabHost, ctx: HostContext): Promise<{ hostKey: string }> {
  const rec = ctx.record;
  await must(["ip", "netns", "add", rec.netns]);
  rec.netnsCreated = true;
  ctx.save();

  // The peer is created directly inside the netns: the machine may have its own eth1.
  await must([
    "ip",
    "link",
    "add",
    "name",
    host.bridgePort,
    "type",
    "veth",
    "peer",
    "name",
    host.interface,
    "address",
    host.mac,
    "netns",
    rec.netns,
  ]);
  rec.veth = host.bridgePort;
  ctx.save();
  await must([
    "ip",
    "-n",
    rec.netns,
    "addr",
    "add",
    `${host.address}/${host.prefixLength}`,
    "dev",
    host.interface,
  ]);
  await must(["ip", "-n", rec.netns, "link", "set", host.interface, "up"]);
  await must(["ip", "link", "set", host.bridgePort, "master", host.bridge, "up"]);

  const init = await launchInit(rec, ctx.save);
  const env = hostEnv(host, { LAB_DIR: rec.dir, LAB_HOST: host.name, LAB_ADDRESS: host.address });
  await mustInHost(init, host.name, "filesystem setup", ["/bin/sh", "-c", SETUP_SCRIPT], {
    env: { ...env, LAB_AUTHORIZED_KEY: ctx.authorizedKey },
  });
  rec.mounts = HOST_MOUNTS;
  ctx.save();
  if (host.firewall === "nftables")
    await mustInHost(init, host.name, "nftables host setup", ["/bin/sh", "-c", NFTABLES_HOST_SCRIPT], {
      env,
    });
  await bootHost(host, init);
  for (const command of host.exec)
    await mustInHost(init, host.name, `exec "${command}"`, ["/bin/sh", "-c", command], { env });
  // START_SSHD_SCRIPT returned once sshd listens; the banner proves it answers.
  await waitForSsh(host.address);
  const hostKey = await mustInHost(
    init,
    host.name,
    "reading the host key",
    ["cat", "/etc/ssh/ssh_host_ed25519_key.pub"],
    {},
  );
  return { hostKey: hostKey.trim() };
}

/** What the machine does at boot (node-boot.sh), then sshd. */
async function bootHost(host: LabHost, init: RecordedProcess): Promise<void> {
  const script = readFileSync(path.join(packageRoot(), "containerlab", "node-boot.sh"), "utf8");
  // No timeout of our own: node-boot waits on progress itself (firewalld's start).
  await mustInHost(init, host.name, "node-boot", ["/bin/sh", "-c", script, "node-boot"], {
    env: hostEnv(host),
  });
  await mustInHost(init, host.name, "starting sshd", ["/bin/sh", "-c", START_SSHD_SCRIPT], {
    env: hostEnv(host),
  });
}

async function launchInit(rec: HostRecord, save: () => void): Promise<RecordedProcess> {
  mkdirSync(rec.dir, { recursive: true });
  const log = openSync(path.join(rec.dir, "init.log"), "a");
  const child = spawn(
    "nsenter",
    [
      `--net=${netnsPath(rec.netns)}`,
      "unshare",
      "--mount",
      "--uts",
      "--ipc",
      "--pid",
      "--fork",
      "--mount-proc",
      "--propagation",
      "private",
      "/bin/bash",
      "-c",
      INIT_SCRIPT,
    ],
    { detached: true, stdio: ["ignore", log, log], env: { PATH: SYSTEM_PATH } },
  );
  closeSync(log);
  const launcherPid = child.pid;
  if (launcherPid === undefined) throw new Error(`${rec.netns}: could not start the host's PID 1`);
  child.unref();
  rec.launcher = record(launcherPid);
  save();
  const launcher = rec.launcher;
  const { value: initPid } = await waitUntil(
    `${rec.netns}: the host's PID 1 to start`,
    () => childrenOf(launcherPid)[0],
    {
      limitMs: 10 * 60_000,
      intervalMs: 10,
      gaveUp: () =>
        isAlive(launcher) || childrenOf(launcherPid).length > 0
          ? undefined
          : `its launcher exited (see ${path.join(rec.dir, "init.log")})`,
    },
  );
  rec.init = record(initPid);
  save();
  return rec.init;
}

/** Kills the host (PID 1 takes every process of the host with it), then its veth and netns. */
export async function stopHost(rec: HostRecord, save: () => void): Promise<void> {
  await stopProcess(rec.init);
  delete rec.init;
  await stopProcess(rec.launcher);
  delete rec.launcher;
  rec.mounts = []; // they lived in the host's mount namespace, gone with its last process
  save();
  if (rec.veth) {
    await deleteLink(rec.veth);
    delete rec.veth;
    save();
  }
  if (rec.netnsCreated) {
    await deleteNetns(rec.netns);
    rec.netnsCreated = false;
    save();
  }
}
