// The lab's record of everything it created. `up` writes it after every single
// creation step, so `down` can remove exactly those things — and nothing else —
// even after an `up` that failed half-way or was killed.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { errorMessage } from "../util/error-message.js";
import { LabError } from "./errors.js";

/** A process the lab started; the start time guards against killing a recycled PID. */
export interface RecordedProcess {
  readonly pid: number;
  /** Field 22 of /proc/PID/stat (clock ticks since boot). */
  readonly startTime: string;
}

export interface HostRecord {
  readonly netns: string;
  /** Set once `ip netns add` succeeded: only then does `down` delete the netns. */
  netnsCreated: boolean;
  /** Data-plane address (status and ssh work without re-reading the topology). */
  readonly address: string;
  /** Created veths: the machine-side name (deleting it deletes the pair). */
  veth?: string;
  /** The `nsenter … unshare` launcher, in the machine's PID namespace. */
  launcher?: RecordedProcess;
  /** The host's PID 1, seen from the machine's PID namespace. */
  init?: RecordedProcess;
  /** Mounts made inside the host's own mount namespace (they vanish with it). */
  mounts: string[];
  /** Per-host disk state: overlay upper/work dirs and the private /root. */
  readonly dir: string;
}

export interface LabState {
  readonly version: 1;
  readonly lab: string;
  readonly topologyFile: string;
  readonly topologyHash: string;
  readonly createdAt: string;
  /** True when `up` finished; false while it runs or after it failed. */
  complete: boolean;
  /** Bridges created by `up` (a bridge that already existed is never adopted). */
  bridges: string[];
  /** Namespace hosts by node name; each records its netns, veth, processes and dir. */
  hosts: Record<string, HostRecord>;
  /** Files and dirs `up` created (removed by `down`); dirs always lie inside the state dir. */
  files: string[];
  dirs: string[];
}

export const STATE_FILE = "lab-state.json";

/** The package root (…/dist/lab/state.js → …): holds containerlab/ and the default `.lab/`. */
export function packageRoot(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
}

/** --state-dir, then $LVSPLAY_LAB_DIR, then `.lab/` in the package root. */
export function resolveStateDir(option?: string): string {
  const chosen = option ?? process.env["LVSPLAY_LAB_DIR"];
  return chosen ? path.resolve(chosen) : path.join(packageRoot(), ".lab");
}

export function defaultTopologyFile(): string {
  return path.join(packageRoot(), "containerlab", "lvs.clab.yml");
}

export function readState(stateDir: string): LabState | undefined {
  const file = path.join(stateDir, STATE_FILE);
  if (!existsSync(file)) return undefined;
  let parsed: LabState;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8")) as LabState;
  } catch (error) {
    throw new LabError(`${file} is not a lab state record (${errorMessage(error)}); remove it by hand`);
  }
  if (parsed?.version !== 1) throw new LabError(`${file}: unknown lab state version`);
  return parsed;
}

/** Atomic (write + rename): a crash never leaves a half-written record. */
export function writeState(stateDir: string, state: LabState): void {
  mkdirSync(stateDir, { recursive: true });
  const file = path.join(stateDir, STATE_FILE);
  writeFileSync(`${file}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}
