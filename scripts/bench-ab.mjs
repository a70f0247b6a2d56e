#!/usr/bin/env node
// Two builds of lvsplay on the same hosts, interleaved run by run (A, B, A, B…),
// so both see the same machine and load: how a commit changed a verb's wall
// time, CPU and peak RSS.
//
//   node scripts/bench-ab.mjs OLD_CHECKOUT NEW_CHECKOUT INVENTORY [--reps 9] [--modes validate,check,audit,apply]
//
// Each checkout must be built (npm run build). The hosts must be converged
// (apply is timed as a no-op) and stay reachable; a `lvsplay lab up` lab or
// the bench's (.bench/) works. Runs `bin/lvsplay.cjs` when a checkout has it,
// else `bin/lvsplay.js` (older commits). Prints medians and min–max.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { machineBusyMs } from "./bench/machine-cpu.mjs";

const [a, b, inventory] = process.argv.slice(2).filter((x, i, all) => !x.startsWith("--") && !all[i - 1]?.startsWith("--"));
const option = (name, fallback) => {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : fallback;
};
if (!a || !b || !inventory) {
  console.error("usage: node scripts/bench-ab.mjs OLD_CHECKOUT NEW_CHECKOUT INVENTORY [--reps 9] [--modes validate,check,audit,apply]");
  process.exit(2);
}
const reps = Number(option("reps", "9"));
const modes = option("modes", "validate,check,audit,apply").split(",");
const ARGS = {
  validate: ["validate", resolve(inventory)],
  check: ["apply", resolve(inventory), "--check", "--plain"],
  audit: ["audit", resolve(inventory), "--plain"],
  apply: ["apply", resolve(inventory), "--plain"],
};
for (const m of modes) if (!ARGS[m]) throw new Error(`unknown mode ${m} (validate, check, audit, apply)`);
const launcher = (dir) => [join(dir, "bin", "lvsplay.cjs"), join(dir, "bin", "lvsplay.js")].find((f) => existsSync(f));

function run(dir, args) {
  const busy = machineBusyMs();
  const t = process.hrtime.bigint();
  const r = spawnSync("/usr/bin/time", ["-f", "AB %M %U %S", process.execPath, launcher(dir), ...args], { encoding: "utf8" });
  const wallMs = Number(process.hrtime.bigint() - t) / 1e6;
  const machineMs = machineBusyMs() - busy;
  if (r.status !== 0) throw new Error(`${dir}: ${args.join(" ")}: exit ${r.status}\n${r.stderr.slice(-2000)}`);
  const m = /AB (\d+) ([\d.]+) ([\d.]+)/.exec(r.stderr);
  return { wallMs, cpuMs: (Number(m[2]) + Number(m[3])) * 1000, machineMs, rssMiB: Number(m[1]) / 1024 };
}
const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const fmt = (xs, unit, digits) =>
  `${median(xs).toFixed(digits)} ${unit} (${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)})`;

console.log(`A = ${resolve(a)}\nB = ${resolve(b)}\n${reps} runs each, interleaved; wall, CPU (lvsplay's) and machine CPU (every core's busy time during the run) in ms, RSS in MiB\n`);
for (const mode of modes) {
  const got = { A: [], B: [] };
  for (let i = 0; i < reps; i++) {
    // Alternate who goes first: a warm page cache or a passing load spike favours neither.
    const order = i % 2 === 0 ? ["A", "B"] : ["B", "A"];
    for (const k of order) got[k].push(run(k === "A" ? a : b, ARGS[mode]));
  }
  for (const k of ["A", "B"]) {
    const rs = got[k];
    console.log(
      `${mode.padEnd(9)} ${k}: wall ${fmt(rs.map((r) => r.wallMs), "ms", 0)}, CPU ${fmt(rs.map((r) => r.cpuMs), "ms", 0)}, machine CPU ${fmt(rs.map((r) => r.machineMs), "ms", 0)}, RSS ${fmt(rs.map((r) => r.rssMiB), "MiB", 1)}`,
    );
  }
  const ratio = median(got.B.map((r) => r.wallMs)) / median(got.A.map((r) => r.wallMs));
  console.log(`${mode.padEnd(9)} B/A wall ${ratio.toFixed(2)}\n`);
}
