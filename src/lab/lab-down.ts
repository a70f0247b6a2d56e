// `lab down`: remove exactly what the state record says `up` created — after a
// complete, failed or interrupted `up` alike. Nothing up is success.
import { existsSync, rmdirSync, rmSync } from "node:fs";
import path from "node:path";
import { errorMessage } from "../util/error-message.js";
import { stopHost } from "./host.js";
import { LabError, type LabOptions } from "./lab-status.js";
import { deleteLink } from "./net.js";
import { readState, resolveStateDir, STATE_FILE, writeState } from "./state.js";

export interface LabDownResult {
  /** False when no lab was recorded (nothing to do). */
  readonly wasUp: boolean;
  readonly stateDir: string;
  /** What was removed, one line each ("host ds1", "bridge lvslan", "file …"). */
  readonly removed: readonly string[];
  readonly durationMs: number;
}

export async function labDown(opts: LabOptions = {}): Promise<LabDownResult> {
  const started = Date.now();
  const stateDir = resolveStateDir(opts.stateDir);
  const state = readState(stateDir);
  if (!state) return { wasUp: false, stateDir, removed: [], durationMs: Date.now() - started };
  const save = () => writeState(stateDir, state);
  const removed: string[] = [];
  const errors: string[] = [];

  await Promise.all(
    Object.entries(state.hosts).map(async ([name, rec]) => {
      try {
        await stopHost(rec, save);
        removed.push(`host ${name} (${rec.netns})`);
      } catch (error) {
        errors.push(`host ${name}: ${errorMessage(error)}`);
      }
    }),
  );
  // Bridges only once their ports are gone; a bridge we did not create is never in the record.
  for (const bridge of [...state.bridges]) {
    try {
      await deleteLink(bridge);
      state.bridges = state.bridges.filter((b) => b !== bridge);
      removed.push(`bridge ${bridge}`);
    } catch (error) {
      errors.push(`bridge ${bridge}: ${errorMessage(error)}`);
    }
  }
  if (errors.length > 0) {
    save();
    throw new LabError(`lab down left things behind (recorded in ${stateDir}):\n  ${errors.join("\n  ")}`);
  }

  for (const file of state.files) {
    rmSync(file, { force: true });
    removed.push(`file ${file}`);
  }
  // Deepest first; only dirs inside the state dir (or the state dir itself) are ever removed.
  const root = path.resolve(stateDir);
  const dirs = [...state.dirs].sort((a, b) => b.length - a.length);
  for (const dir of dirs) {
    const abs = path.resolve(dir);
    if (abs !== root && !abs.startsWith(`${root}${path.sep}`)) continue;
    if (abs === root) continue; // last, and only if empty
    rmSync(abs, { recursive: true, force: true });
    removed.push(`dir ${abs}`);
  }
  rmSync(path.join(stateDir, STATE_FILE), { force: true });
  rmSync(path.join(stateDir, `${STATE_FILE}.tmp`), { force: true });
  if (state.dirs.map((d) => path.resolve(d)).includes(root) && existsSync(root)) {
    try {
      rmdirSync(root);
      removed.push(`dir ${root}`);
    } catch {
      // not empty: something else lives there now; leave it
    }
  }
  return { wasUp: true, stateDir, removed, durationMs: Date.now() - started };
}
