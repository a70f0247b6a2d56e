// The whole machine's busy CPU from /proc/stat, for the benchmarks (bench.mjs,
// bench-ab.mjs): around one lvsplay run on an otherwise idle machine, this minus
// lvsplay's own CPU is what the lab hosts' sshds and commands cost (they run on
// the same cores), so busy / cores is a floor under the run's wall time here
// that no change to the controller can lower.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";

// Ticks per second of /proc/stat (USER_HZ): 100 on every Linux this runs on; asked once.
const clockTicks = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;

/** Busy CPU time of the whole machine so far, ms summed over its cores (user, nice, system, irq, softirq, steal). */
export function machineBusyMs() {
  const [user, nice, system, , , irq, softirq, steal] = readFileSync("/proc/stat", "utf8")
    .split("\n", 1)[0]
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  return ((user + nice + system + irq + softirq + steal) * 1000) / clockTicks;
}
