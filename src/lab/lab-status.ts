// `lab status` and `labExec`: read-only views of a lab through its state record.
import { LabError } from "./errors.js";
import { execInHost } from "./host.js";
import { netnsExists, sshBanner } from "./net.js";
import { isAlive } from "./process.js";
import type { RunOptions, RunResult } from "./run.js";
import { type LabState, readState, resolveStateDir } from "./state.js";

export { LabError } from "./errors.js";

export interface LabOptions {
  /** Lab state dir; default $LVSPLAY_LAB_DIR, else `.lab/` in the package root. */
  readonly stateDir?: string;
}

export interface NodeStatus {
  readonly name: string;
  readonly address: string;
  /** PID 1 alive and the netns present. */
  readonly running: boolean;
  /** sshd answers with an SSH banner on address:22. */
  readonly sshd: boolean;
}

export interface LabStatus {
  /** A lab is recorded in the state dir. */
  readonly up: boolean;
  readonly stateDir: string;
  readonly lab?: string;
  readonly topologyFile?: string;
  /** `up` finished successfully. */
  readonly complete: boolean;
  readonly nodes: readonly NodeStatus[];
}

export async function labStatus(opts: LabOptions = {}): Promise<LabStatus> {
  const stateDir = resolveStateDir(opts.stateDir);
  const state = readState(stateDir);
  if (!state) return { up: false, stateDir, complete: false, nodes: [] };
  const nodes = await Promise.all(
    Object.entries(state.hosts).map(async ([name, rec]) => {
      const running = rec.init !== undefined && isAlive(rec.init) && netnsExists(rec.netns);
      return { name, address: rec.address, running, sshd: running && (await sshBanner(rec.address)) };
    }),
  );
  return {
    up: true,
    stateDir,
    lab: state.lab,
    topologyFile: state.topologyFile,
    complete: state.complete,
    nodes,
  };
}

export function requireState(opts: LabOptions): { stateDir: string; state: LabState } {
  const stateDir = resolveStateDir(opts.stateDir);
  const state = readState(stateDir);
  if (!state) throw new LabError(`no lab is up (no state in ${stateDir}); run \`lvsplay lab up\``);
  return { stateDir, state };
}

export interface LabExecOptions extends LabOptions, RunOptions {}

/**
 * Runs argv inside a lab host through nsenter (all of its namespaces, no SSH):
 * lets tests read a host's real state without going through lvsplay.
 */
export async function labExec(
  node: string,
  argv: readonly string[],
  opts: LabExecOptions = {},
): Promise<RunResult> {
  const { state } = requireState(opts);
  const init = state.hosts[node]?.init;
  if (!init) throw new LabError(`no running host ${node} in lab ${state.lab}`);
  const { stateDir: _ignored, ...runOpts } = opts;
  return execInHost(init, argv, runOpts);
}
