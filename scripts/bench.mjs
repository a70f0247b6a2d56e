#!/usr/bin/env node
// Fleet benchmark (issues 7 and 13): for N namespace hosts (two directors, one
// client, the rest real servers) bring a lab up in a slot of its own (names and
// a 10.77.<id>.0/24 no test lab uses at the same time), converge it once, then
// time no-op apply, apply --check and audit several times, and run
// `audit --watch` for a number of cycles. Prints medians and min–max wall time,
// CPU time (user + system: less sensitive to a busy machine than wall time),
// peak RSS, SSH connections and round trips per host, bytes on the wire, the
// cost per extra host (slope), start-up cost (--help, validate, Node alone),
// where one no-op apply's time goes (start-up, connect + lock, reads), the watch's
// per-cycle cost and how many cycles a MAC change takes to show; writes the
// same as JSON (bench-results/) for comparing commits; tears each lab down,
// also on failure.
//
//   npm run bench                      # N = 4, 32, 100; 5 repetitions
//   npm run bench -- --sizes 4 --reps 3 --forks 50 --out /tmp/b.json
//   npm run bench -- --vs-ansible      # + the same stages with Ansible (bench/ansible/), N = 4, 32
//   npm run bench -- --no-watch        # leave the watch out
//
// Absolute times depend on the machine and its load: the lab's sshds share its
// cores with lvsplay. Compare numbers from the same machine only, and check
// `uptime` (the load average is printed with the results).
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureAnsible, runAnsible, writeAdoptingInventory, writeAnsibleInventory } from "./bench/ansible.mjs";
import { benchTopology, reserveSlot } from "./bench/lab.mjs";
import { machineBusyMs } from "./bench/machine-cpu.mjs";
import { benchWatch } from "./bench/watch.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const cli = join(root, "bin", "lvsplay.cjs"); // what package.json installs as `lvsplay`

const USAGE = `usage: node scripts/bench.mjs [--sizes 4,32,100] [--reps 5] [--forks N] [--out FILE]
                               [--vs-ansible] [--ansible-reps 3] [--no-watch] [--watch-interval 2s] [--watch-cycles 8]`;
const VALUED = new Set(["sizes", "reps", "ansible-reps", "forks", "watch-interval", "watch-cycles", "out"]);
const FLAGS = new Set(["vs-ansible", "no-watch"]);
if (process.argv.includes("--help") || process.argv.includes("-h")) {
  console.log(USAGE);
  process.exit(0);
}
// An unknown or misspelt option must not start a long run that ignores it.
for (let i = 2; i < process.argv.length; i++) {
  const name = process.argv[i].replace(/^--/, "");
  const value = process.argv[i + 1];
  if (VALUED.has(name) && process.argv[i].startsWith("--") && value !== undefined && !value.startsWith("--")) i++;
  else if (!(FLAGS.has(name) && process.argv[i].startsWith("--"))) {
    console.error(`bench: unknown or incomplete option ${JSON.stringify(process.argv[i])}\n${USAGE}`);
    process.exit(1);
  }
}

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] !== undefined ? process.argv[at + 1] : fallback;
}
const flag = (name) => process.argv.includes(`--${name}`);
const vsAnsible = flag("vs-ansible");
const sizes = option("sizes", vsAnsible ? "4,32" : "4,32,100").split(",").map(Number);
const reps = Number(option("reps", "5"));
const ansibleReps = Number(option("ansible-reps", "3"));
const forks = option("forks", undefined);
const watch = !flag("no-watch");
const watchInterval = option("watch-interval", "2s");
const watchCycles = Number(option("watch-cycles", "8"));
const out = option("out", join(root, "bench-results", `bench-${new Date().toISOString().replace(/[:.]/g, "-")}.json`));
if (sizes.some((n) => !Number.isInteger(n) || n < 4 || n > 200) || !(reps >= 1) || !(ansibleReps >= 1)) {
  console.error("bench: --sizes takes integers 4-200 (two directors + client + real servers), --reps/--ansible-reps >= 1");
  process.exit(1);
}
const { labExec } = await import(join(root, "dist", "lab", "index.js"));

/** Runs lvsplay under GNU time: wall ms, peak RSS (KiB), CPU s, machine CPU ms, exit code, parsed --json output. */
function lvsplay(env, ...args) {
  const busyBefore = machineBusyMs();
  const started = process.hrtime.bigint();
  const r = spawnSync("/usr/bin/time", ["-f", "LVSPLAY-BENCH %M %U %S", process.execPath, cli, ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  const machineCpuMs = machineBusyMs() - busyBefore;
  const m = /LVSPLAY-BENCH (\d+) ([\d.]+) ([\d.]+)/.exec(r.stderr ?? "");
  let json;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    json = undefined;
  }
  return {
    code: r.status,
    wallMs,
    rssKiB: m ? Number(m[1]) : Number.NaN,
    cpuMs: m ? (Number(m[2]) + Number(m[3])) * 1000 : Number.NaN,
    machineCpuMs,
    json,
    stderr: r.stderr,
  };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const spread = (xs) => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs), samples: xs });

/** Per-host cost from the run's stats: connections, round trips per stage, bytes. */
function cost(stats) {
  const hosts = Object.values(stats ?? {});
  const perStage = {};
  for (const h of hosts)
    for (const [stage, n] of Object.entries(h.commandsByStage)) perStage[stage] = Math.max(perStage[stage] ?? 0, n);
  return {
    hosts: hosts.length,
    connectionsPerHost: { min: Math.min(...hosts.map((h) => h.connections)), max: Math.max(...hosts.map((h) => h.connections)) },
    commandsPerHost: { min: Math.min(...hosts.map((h) => h.commands)), max: Math.max(...hosts.map((h) => h.commands)) },
    maxCommandsPerHostByStage: perStage,
    bytesSentPerHost: median(hosts.map((h) => h.bytesSent)),
    bytesReceivedPerHost: median(hosts.map((h) => h.bytesReceived)),
    bytesSentTotal: hosts.reduce((s, h) => s + h.bytesSent, 0),
  };
}

function measure(label, env, args, expectCode, n = reps) {
  const loadBefore = loadavg()[0];
  const runs = [];
  for (let i = 0; i < n; i++) {
    const r = lvsplay(env, ...args);
    if (r.code !== expectCode) throw new Error(`${label}: exit ${r.code}, expected ${expectCode}\n${r.stderr.slice(-3000)}`);
    runs.push(r);
  }
  const last = runs.at(-1);
  return {
    wallMs: spread(runs.map((r) => Math.round(r.wallMs))),
    cpuMs: spread(runs.map((r) => Math.round(r.cpuMs))),
    machineCpuMs: spread(runs.map((r) => Math.round(r.machineCpuMs))),
    peakRssMiB: spread(runs.map((r) => Math.round(r.rssKiB / 102.4) / 10)),
    load1: [loadBefore, loadavg()[0]].map((x) => Math.round(x * 10) / 10),
    cost: cost(last.json?.stats ?? last.json?.cost),
  };
}

/** keepalived start/restart/reload actions per director in an apply --json result. */
function keepalivedActions(json) {
  const per = {};
  for (const r of json?.results ?? [])
    for (const c of r.changes)
      if (/^(start|restart|reload) keepalived\b/.test(c.summary)) per[r.host] = (per[r.host] ?? 0) + 1;
  return per;
}

/**
 * From a --log-file: seconds per stage (its stage-end lines) and, per host,
 * the firewall-cmd processes started and the firewalld changes made over
 * D-Bus (the busctl script), read from the commands the log lists.
 */
function firstApplyLog(file) {
  const text = readFileSync(file, "utf8");
  const stagesS = {};
  for (const m of text.matchAll(/^\S+ +\((.+): ([\d.]+) s\)$/gm)) stagesS[m[1]] = (stagesS[m[1]] ?? 0) + Number(m[2]);
  const firewallCmd = {};
  const firewalldDbus = {};
  const count = (o, host) => {
    o[host] = (o[host] ?? 0) + 1;
  };
  // A command's first line names its host; a script's argv after the script ends a later line.
  let host;
  for (const line of text.split("\n")) {
    const sent = /^\S+ \[([^\]]+)\] \$ (.*)$/.exec(line);
    if (sent) {
      host = sent[1];
      if (/^firewall-cmd /.test(sent[2])) count(firewallCmd, host);
    }
    if (host !== undefined && /' lvsplay-firewalld (runtime|permanent) /.test(line)) count(firewalldDbus, host);
  }
  return { stagesS, firewallCmd, firewalldDbus };
}

/**
 * Where one no-op apply's wall time goes, from its --log-file timestamps and
 * the controller's clock around the process: start-up (process start to the
 * log's first line: Node, module loading, reading and validating the inputs),
 * connect + lock (SSH handshakes and the cluster lock on every host), the
 * first stage (which carries every host's batched reads; per host, when its
 * last result of that stage came), the other stages, and exit.
 */
function noopPhases(file, spawnedAtMs, exitedAtMs) {
  const lines = readFileSync(file, "utf8").split("\n");
  const at = (line) => Date.parse(line.slice(0, 24));
  const first = lines.find((l) => / lvsplay apply /.test(l));
  const lock = lines.find((l) => / lock: held on /.test(l));
  const stageAt = lines.flatMap((l, i) => (/ STAGE \[/.test(l) ? [i] : []));
  const finished = lines.find((l) => / finished in [\d.]+ s$/.test(l));
  if (!first || !lock || stageAt.length < 2 || !finished) return undefined;
  const [start, firstStageEnd] = [at(lines[stageAt[0]]), at(lines[stageAt[1]])];
  const readsByHost = {};
  // The result lines between the first two STAGE lines (by position: a timestamp can tie).
  for (const l of lines.slice(stageAt[0] + 1, stageAt[1])) {
    const r = /^\S+ (?:ok|changed|failed|skipped|unreachable): \[([^\]]+)\]/.exec(l);
    if (r) readsByHost[r[1]] = at(l) - start;
  }
  return {
    startupMs: at(first) - spawnedAtMs,
    connectAndLockMs: at(lock) - at(first),
    firstStageMs: firstStageEnd - start,
    firstStageByHostMs: readsByHost,
    otherStagesMs: at(finished) - firstStageEnd,
    exitMs: exitedAtMs - at(finished),
  };
}

/** Least-squares slope and intercept of y over x. */
function fit(points) {
  const n = points.length;
  const mx = points.reduce((s, p) => s + p[0], 0) / n;
  const my = points.reduce((s, p) => s + p[1], 0) / n;
  const sxx = points.reduce((s, p) => s + (p[0] - mx) ** 2, 0);
  const slope = sxx === 0 ? Number.NaN : points.reduce((s, p) => s + (p[0] - mx) * (p[1] - my), 0) / sxx;
  return { slope, intercept: my - slope * mx };
}

/** Median wall time of `node -e 0`: the floor under every lvsplay process on this machine. */
const nodeStartMs = () => {
  const ms = [];
  for (let i = 0; i < 5; i++) {
    const t = process.hrtime.bigint();
    spawnSync(process.execPath, ["-e", "0"]);
    ms.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return Math.round(median(ms));
};

const results = {
  machine: {
    cpus: (await import("node:os")).cpus().length,
    node: process.version,
    nodeStartMs: nodeStartMs(),
    loadavgAtStart: loadavg(),
  },
  date: new Date().toISOString(),
  reps,
  forks: forks ?? "default",
  sizes: {},
};
const forkArgs = forks ? ["--forks", forks] : [];
if (vsAnsible) results.ansible = { version: ensureAnsible(), reps: ansibleReps };
let failed = false;
const slot = reserveSlot();
process.on("exit", () => slot.release());
try {
  for (const n of sizes) {
    // Per slot: two benchmarks in one checkout (or one beside a crashed one) never share a lab directory.
    const dir = join(root, ".bench", `s${slot.id}-n${n}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const topoFile = join(dir, "bench.clab.yml");
    writeFileSync(topoFile, benchTopology(slot, n));
    const stateDir = join(dir, "lab");
    const env = { LVSPLAY_LAB_DIR: stateDir };
    const labInventory = join(stateDir, "inventory.yaml");
    // After Ansible, lvsplay takes over its hosts the way an operator would: adopting the playbook's keepalived.conf.
    const inventory = vsAnsible ? join(stateDir, "inventory-adopt.yaml") : labInventory;
    try {
      console.error(`\n== N=${n}: lab up (slot ${slot.id}, ${slot.subnet}.0/24); load ${loadavg()[0].toFixed(1)}`);
      const upStarted = Date.now();
      const up = spawnSync(process.execPath, [cli, "lab", "up", topoFile], { cwd: root, env: { ...process.env, ...env }, encoding: "utf8" });
      if (up.status !== 0) throw new Error(`lab up failed:\n${up.stdout}\n${up.stderr}`);
      const row = { labUpMs: Date.now() - upStarted, loadavg: loadavg() };
      if (vsAnsible) {
        const ansInv = join(dir, "ansible-inventory.yml");
        writeAnsibleInventory(labInventory, ["ds2"], ansInv);
        writeAdoptingInventory(labInventory, inventory);
        console.error("   ansible: first run");
        const firstA = runAnsible(root, ansInv);
        if (firstA.code !== 0) throw new Error(`ansible first run: exit ${firstA.code}\n${firstA.output.slice(-3000)}`);
        const noops = [];
        const ansibleLoadBefore = loadavg()[0];
        for (let i = 0; i < ansibleReps; i++) {
          console.error(`   ansible: no-op ${i + 1}/${ansibleReps}`);
          const r = runAnsible(root, ansInv);
          const dirty = Object.entries(r.recap).filter(([, h]) => h.changed || h.failed || h.unreachable);
          if (r.code !== 0 || dirty.length > 0 || Object.keys(r.recap).length !== n)
            throw new Error(`ansible no-op: exit ${r.code}, recap ${JSON.stringify(r.recap)}\n${r.output.slice(-3000)}`);
          noops.push(r);
        }
        row.ansible = {
          firstRunMs: Math.round(firstA.wallMs),
          noopWallMs: spread(noops.map((r) => Math.round(r.wallMs))),
          noopCpuMs: spread(noops.map((r) => Math.round(r.cpuSec * 1000))),
          load1: [ansibleLoadBefore, loadavg()[0]].map((x) => Math.round(x * 10) / 10),
        };
      }
      console.error(vsAnsible ? "   lvsplay: converge (from Ansible's state)" : "   first apply");
      const firstLog = join(dir, "first-apply.log");
      const first = lvsplay(env, "apply", inventory, "--json", "--log-file", firstLog, ...forkArgs);
      if (first.code !== 0) throw new Error(`first apply: exit ${first.code}\n${first.stderr.slice(-3000)}`);
      row.firstApply = {
        from: vsAnsible ? "ansible-converged" : "bare",
        wallMs: Math.round(first.wallMs),
        cpuMs: Math.round(first.cpuMs),
        peakRssMiB: Math.round(first.rssKiB / 102.4) / 10,
        keepalivedActionsPerDirector: keepalivedActions(first.json),
        cost: cost(first.json?.stats),
        load1: loadavg()[0],
        ...firstApplyLog(firstLog),
      };
      console.error("   no-op apply");
      row.noopApply = measure("no-op apply", env, ["apply", inventory, "--json", ...forkArgs], 0);
      const phasesLog = join(dir, "noop-apply.log");
      const spawnedAt = Date.now();
      const phased = lvsplay(env, "apply", inventory, "--log-file", phasesLog, ...forkArgs);
      if (phased.code !== 0) throw new Error(`no-op apply with --log-file: exit ${phased.code}\n${phased.stderr.slice(-3000)}`);
      row.noopApply.phases = noopPhases(phasesLog, spawnedAt, Date.now());
      console.error("   apply --check");
      row.check = measure("apply --check", env, ["apply", inventory, "--check", "--json", ...forkArgs], 0);
      console.error("   audit");
      row.audit = measure("audit", env, ["audit", inventory, "--json", ...forkArgs], 0);
      console.error("   validate, --help");
      row.validate = measure("validate", env, ["validate", inventory], 0);
      row.help = measure("--help", env, ["--help"], 0);
      if (watch) {
        console.error(`   audit --watch (${watchCycles} cycles at ${watchInterval}, then a MAC change)`);
        const state = JSON.parse((await import("node:fs")).readFileSync(join(stateDir, "lab-state.json"), "utf8"));
        row.watch = await benchWatch({
          root,
          env,
          inventory,
          hosts: n,
          director: "ds1",
          iface: "eth1",
          bridge: state.bridges[0],
          labExec: (node, argv) => labExec(node, argv, { stateDir }),
          interval: watchInterval,
          cycles: watchCycles,
        });
      }
      results.sizes[n] = row;
      // Kept after every size: a run cut short (a busy machine, Ctrl-C) keeps what it measured.
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
    } catch (error) {
      failed = true;
      console.error(`bench N=${n} failed: ${error.message}`);
      results.sizes[n] = { error: error.message.slice(0, 2000) };
    } finally {
      spawnSync(process.execPath, [cli, "lab", "down"], { cwd: root, env: { ...process.env, ...env }, stdio: "ignore" });
    }
  }
} finally {
  slot.release();
}

const ok = Object.entries(results.sizes).filter(([, r]) => !r.error);
if (ok.length >= 2) {
  const slope = (pick) => fit(ok.map(([n, r]) => [Number(n), pick(r)]));
  results.slope = {
    noopApplyWallMsPerHost: slope((r) => r.noopApply.wallMs.median),
    noopApplyCpuMsPerHost: slope((r) => r.noopApply.cpuMs.median),
    auditWallMsPerHost: slope((r) => r.audit.wallMs.median),
    auditCpuMsPerHost: slope((r) => r.audit.cpuMs.median),
    noopApplyMachineCpuMsPerHost: slope((r) => r.noopApply.machineCpuMs.median),
  };
}
results.machine.loadavgAtEnd = loadavg();
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);

const s = (ms) => (ms / 1000).toFixed(2);
const fmt = (x) => `${s(x.median)} s (${s(x.min)}–${s(x.max)})`;
const range = (r) => (r.min === r.max ? `${r.min}` : `${r.min}–${r.max}`);
const load = (l) => l.map((x) => x.toFixed(1)).join(" ");
console.log(
  `\nlvsplay benchmark ${results.date}: ${results.machine.cpus} CPUs, node ${results.machine.node}, ${reps} repetitions, forks ${results.forks}; ` +
    `load average ${load(results.machine.loadavgAtStart)} at start, ${load(results.machine.loadavgAtEnd)} at the end`,
);
console.log(
  "wall: median (min–max), process start to exit; CPU: user + system of the lvsplay process; RSS: its peak; " +
    "machine CPU: every core's busy time during the run (lvsplay and the lab hosts share this machine's cores)",
);
for (const [n, row] of Object.entries(results.sizes)) {
  if (row.error) {
    console.log(`N=${n}: FAILED ${row.error.split("\n")[0]}`);
    continue;
  }
  console.log(`\nN=${n}  (lab up ${s(row.labUpMs)} s; load ${load(row.loadavg)})`);
  const ka = Object.entries(row.firstApply.keepalivedActionsPerDirector).map(([h, k]) => `${h}:${k}`).join(" ");
  console.log(`  first apply   ${s(row.firstApply.wallMs)} s (${row.firstApply.from}), CPU ${s(row.firstApply.cpuMs)} s, RSS ${row.firstApply.peakRssMiB} MiB; keepalived start/restart/reload per director: ${ka || "none"}; load ${row.firstApply.load1.toFixed(1)} after`);
  const perHost = (o) => Object.entries(o).map(([h, k]) => `${h}:${k}`).join(" ") || "none";
  console.log(`                stages: ${Object.entries(row.firstApply.stagesS).map(([st, sec]) => `${st} ${sec.toFixed(2)} s`).join(", ")}`);
  console.log(`                firewall-cmd processes per host: ${perHost(row.firstApply.firewallCmd)}; firewalld changes over D-Bus (busctl): ${perHost(row.firstApply.firewalldDbus)}`);
  for (const [name, m] of [["no-op apply", row.noopApply], ["apply --check", row.check], ["audit", row.audit], ["validate", row.validate], ["--help", row.help]]) {
    const c = m.cost;
    const perHost = c.hosts
      ? `; per host: ${range(c.connectionsPerHost)} connection(s), ${range(c.commandsPerHost)} command(s), ${c.bytesSentPerHost} B sent / ${c.bytesReceivedPerHost} B received (medians)`
      : "";
    console.log(`  ${name.padEnd(13)} ${fmt(m.wallMs)}, CPU ${fmt(m.cpuMs)}, RSS ${m.peakRssMiB.median} MiB; load ${m.load1.join("→")}${perHost}`);
  }
  for (const [name, m] of [["no-op apply", row.noopApply], ["audit", row.audit]]) {
    const machine = m.machineCpuMs.median;
    const hostsMs = machine - m.cpuMs.median;
    console.log(
      `  CPU of one ${name} (medians): the machine ${s(machine)} s busy (all ${results.machine.cpus} cores), lvsplay ${s(m.cpuMs.median)} s, ` +
        `the rest (the lab hosts' sshds and commands) ${s(hostsMs)} s = ${Math.round(hostsMs / Number(n))} ms per host; ` +
        `busy / cores = ${s(machine / results.machine.cpus)} s of its ${s(m.wallMs.median)} s wall`,
    );
  }
  const ph = row.noopApply.phases;
  if (ph) {
    const slowest = Object.entries(ph.firstStageByHostMs).sort((a, b) => b[1] - a[1]).slice(0, 3);
    console.log(
      `  one no-op apply: start-up ${s(ph.startupMs)} s (Node alone ${s(results.machine.nodeStartMs)} s), connect + lock ${s(ph.connectAndLockMs)} s, ` +
        `first stage (every host's batched reads) ${s(ph.firstStageMs)} s (slowest: ${slowest.map(([h, ms]) => `${h} ${s(ms)} s`).join(", ")}), ` +
        `other stages ${s(ph.otherStagesMs)} s, exit ${s(ph.exitMs)} s`,
    );
  }
  if (row.watch) {
    const w = row.watch;
    console.log(
      `  audit --watch every ${w.interval}: per host per cycle ${w.cpuMsPerHostPerCycle.toFixed(1)} ms controller CPU, ${w.roundTripsPerHostPerCycle} round trip(s), ` +
        `${Math.round(w.sentBytesPerHostPerCycle)} B sent / ${Math.round(w.receivedBytesPerHostPerCycle)} B received; cycle ${s(w.lastCycleSec * 1000)} s; ` +
        `${w.connectionsPerHost} connection(s) per host over ${w.cycles} cycles; MAC change → critical drift on /metrics: ${s(w.macToDriftMs)} s, ${w.macToDriftCycles} cycle(s)`,
    );
  }
  if (row.ansible) {
    const a = row.ansible;
    console.log(`  ansible       first run ${s(a.firstRunMs)} s; no-op ${fmt(a.noopWallMs)}, CPU ${fmt(a.noopCpuMs)} (whole process tree); load ${a.load1.join("→")}`);
  }
}
if (results.slope) {
  const sl = results.slope;
  console.log(
    `\nper extra host: no-op apply +${sl.noopApplyWallMsPerHost.slope.toFixed(1)} ms wall, +${sl.noopApplyCpuMsPerHost.slope.toFixed(1)} ms CPU; ` +
      `audit +${sl.auditWallMsPerHost.slope.toFixed(1)} ms wall, +${sl.auditCpuMsPerHost.slope.toFixed(1)} ms CPU; ` +
      `the machine's CPU (lvsplay + the lab hosts) for a no-op apply +${sl.noopApplyMachineCpuMsPerHost.slope.toFixed(1)} ms (least squares over the sizes)`,
  );
}
if (vsAnsible) {
  console.log(`\n${results.ansible.version} vs lvsplay, no-op run, same lab, back to back (medians; ratio = Ansible / lvsplay):`);
  console.log("| hosts | Ansible no-op | lvsplay no-op | lvsplay audit | ratio (wall) | ratio (CPU) |");
  console.log("|---|---|---|---|---|---|");
  for (const [n, row] of ok) {
    if (!row.ansible) continue;
    const a = row.ansible.noopWallMs.median;
    const l = row.noopApply.wallMs.median;
    const ratioCpu = row.ansible.noopCpuMs.median / row.noopApply.cpuMs.median;
    console.log(`| ${n} | ${s(a)} s | ${s(l)} s | ${s(row.audit.wallMs.median)} s | ${(a / l).toFixed(1)}× | ${ratioCpu.toFixed(1)}× |`);
  }
}
console.log(`\nJSON: ${out}`);
process.exit(failed ? 1 : 0);
