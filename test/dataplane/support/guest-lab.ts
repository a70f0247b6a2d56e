// One QEMU guest (Debian's kernel, real IPVS) running the namespace lab, as the
// data-plane tests use it: boot once per file, run commands inside a lab host
// by entering its namespaces, always power off and remove everything.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GUEST_LAB_DIR, type VmUpResult, vmDown, vmExec, vmUp } from "../../../src/lab/vm/guest.js";
import type { CommandResult } from "../../../src/transport/types.js";

export interface GuestLab {
  readonly up: VmUpResult;
  readonly stateDir: string;
  /** Temp dir holding stateDir; removed by stopGuestLab. */
  readonly parent: string;
  /** Lab host name → PID of its PID 1 inside the guest. */
  readonly initPids: ReadonlyMap<string, number>;
  readonly startedAt: number;
}

export interface HostExecOptions {
  readonly stdin?: string;
  readonly timeoutSec?: number;
}

/** A fresh temp state dir: vmUp creates it, so vmDown removes it entirely. */
export function newStateDir(prefix: string): { parent: string; stateDir: string } {
  const parent = mkdtempSync(join(tmpdir(), prefix));
  return { parent, stateDir: join(parent, "state") };
}

export async function startGuestLab(topology: string, dirs: { parent: string; stateDir: string }) {
  const startedAt = Date.now();
  const up = await vmUp({ stateDir: dirs.stateDir, topology, log: console.log });
  const state = await vmExec(["cat", join(GUEST_LAB_DIR, "lab-state.json")], { stateDir: dirs.stateDir });
  if (state.code !== 0) throw new Error(`cannot read the guest lab's state: ${state.stderr}`);
  const hosts = (JSON.parse(state.stdout) as { hosts: Record<string, { init?: { pid: number } }> }).hosts;
  const initPids = new Map<string, number>();
  for (const [name, rec] of Object.entries(hosts)) {
    if (!rec.init) throw new Error(`guest lab host ${name} has no PID 1`);
    initPids.set(name, rec.init.pid);
  }
  console.log(
    `guest: boot ${(up.bootMs / 1000).toFixed(1)} s, lab up in guest ${(up.labUpMs / 1000).toFixed(1)} s, ` +
      `QEMU RSS ${up.rssMb ?? "?"} MiB`,
  );
  const lab: GuestLab = { up, ...dirs, initPids, startedAt };
  return lab;
}

/** Safe to call twice and after a failed start (vmDown of nothing is a no-op). */
export async function stopGuestLab(dirs: { parent: string; stateDir: string }): Promise<void> {
  try {
    await vmDown({ stateDir: dirs.stateDir, log: console.log });
  } finally {
    rmSync(dirs.parent, { recursive: true, force: true });
  }
}

/**
 * Runs argv inside lab host `host` (all its namespaces, like the lab's own
 * labExec) — argv all the way down, no shell unless the caller asks for one.
 */
export function inHost(
  lab: GuestLab,
  host: string,
  argv: readonly string[],
  opts: HostExecOptions = {},
): Promise<CommandResult> {
  const pid = lab.initPids.get(host);
  if (pid === undefined) throw new Error(`no lab host ${host} in the guest`);
  const env = ["env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "LANG=C.UTF-8"];
  return vmExec(["nsenter", "-t", String(pid), "-a", "--wd=/", "--", ...env, ...argv], {
    stateDir: lab.stateDir,
    // A hang guard: a command in an emulated lab host can take a minute on a busy machine.
    timeoutSec: opts.timeoutSec ?? 600,
    ...(opts.stdin !== undefined ? { stdin: opts.stdin } : {}),
  });
}

/** inHost that throws (with the output) on a non-zero exit. */
export async function inHostOk(
  lab: GuestLab,
  host: string,
  argv: readonly string[],
  opts: HostExecOptions = {},
): Promise<string> {
  const r = await inHost(lab, host, argv, opts);
  if (r.code !== 0) throw new Error(`${host}: ${argv.join(" ")} → ${r.code}\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

/**
 * Bound for waits on things that take seconds on real hardware (a VRRP move, a
 * health check, a daemon start): under emulation on a loaded 2-core machine
 * they take longer, so only a broken cluster ever reaches this.
 */
export const SETTLE_LIMIT_MS = 5 * 60_000;

/** Bound for starting the guest and its lab (boot + `lab up`), a hang guard for beforeAll. */
export const GUEST_START_LIMIT_MS = 40 * 60_000;

/** Polls until check() returns a value (not undefined) or the bound passes; returns it and the wait. */
export async function pollUntil<T>(
  what: string,
  check: () => Promise<T | undefined>,
  opts: { timeoutMs: number; intervalMs?: number },
): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  for (;;) {
    const value = await check();
    if (value !== undefined) return { value, ms: Date.now() - started };
    if (Date.now() - started > opts.timeoutMs)
      throw new Error(`waited ${((Date.now() - started) / 1000).toFixed(1)} s (the limit) for ${what}`);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 1000));
  }
}
