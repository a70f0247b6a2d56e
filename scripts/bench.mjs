#!/usr/bin/env node
// Fleet benchmark (issue 7): for N namespace hosts (two directors, one client,
// the rest real servers) bring a lab up, converge it once, then time no-op
// apply, apply --check and audit several times. Prints medians and min–max,
// SSH connections and round trips per host, bytes on the wire and the lvsplay
// process's peak RSS; writes the same as JSON (bench-results/) for comparing
// commits; tears each lab down, also on failure.
//
//   npm run bench                      # N = 4, 32, 100; 5 repetitions
//   npm run bench -- --sizes 4 --reps 3 --forks 50 --out /tmp/b.json
//
// Absolute times depend on the machine: the lab's sshds share its cores with
// lvsplay. Compare numbers from the same machine only.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const cli = join(root, "bin", "lvsplay.js");

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] !== undefined ? process.argv[at + 1] : fallback;
}
const sizes = option("sizes", "4,32,100").split(",").map(Number);
const reps = Number(option("reps", "5"));
const forks = option("forks", undefined);
const out = option("out", join(root, "bench-results", `bench-${new Date().toISOString().replace(/[:.]/g, "-")}.json`));
if (sizes.some((n) => !Number.isInteger(n) || n < 4 || n > 200) || !(reps >= 1)) {
  console.error("bench: --sizes takes integers 4-200 (two directors + client + real servers), --reps >= 1");
  process.exit(1);
}

/** containerlab topology with N nodes, realised by `lvsplay lab up` (same shape as containerlab/lvs.clab.yml). */
function topology(n) {
  const httpd = [
    "sh -c 'mkdir -p /var/www/html && hostname > /var/www/html/index.html'",
    "busybox httpd -p 80 -h /var/www/html",
  ];
  const nodes = {
    benchlan: {
      kind: "bridge",
      labels: {
        "lvsplay.address": "7.7.9.1/24",
        "lvsplay.mac": "02:00:07:07:09:01",
        "lvsplay.vip": "7.7.9.250",
        "lvsplay.vip-ports": "80",
        "lvsplay.vrid": 59,
      },
    },
  };
  const links = [];
  const add = (name, groups, octet, extra = {}) => {
    nodes[name] = { kind: "linux", labels: { "lvsplay.groups": groups, ...extra }, exec: httpd };
    const mac = `02:00:07:07:09:${octet.toString(16).padStart(2, "0")}`;
    links.push({
      type: "veth",
      endpoints: [
        { node: name, interface: "eth1", mac, ipv4: `7.7.9.${octet}/24` },
        { node: "benchlan", interface: `b-${name}` },
      ],
    });
  };
  add("ds1", "directors,realservers", 11);
  // Like the canonical lab: the second director persists through firewalld.
  add("ds2", "directors,realservers", 12, { "lvsplay.firewalld": "true" });
  nodes.ds2.exec = [...httpd, "firewall-cmd --quiet --permanent --add-service=http", "firewall-cmd --quiet --add-service=http"];
  for (let i = 0; i < n - 3; i++) add(`rs${i + 3}`, "realservers", 13 + i);
  add("client", "clients", 240);
  return { name: `bench${n}`, topology: { kinds: { linux: { image: "lvsplay/node:debian12" } }, nodes, links } };
}

/** Runs lvsplay under GNU time: wall ms, peak RSS (KiB), exit code, parsed --json output. */
function lvsplay(env, ...args) {
  const started = process.hrtime.bigint();
  const r = spawnSync("/usr/bin/time", ["-f", "LVSPLAY-BENCH-RSS %M", process.execPath, cli, ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  const rss = Number(/LVSPLAY-BENCH-RSS (\d+)/.exec(r.stderr ?? "")?.[1] ?? "NaN");
  let json;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    json = undefined;
  }
  return { code: r.status, wallMs, rssKiB: rss, json, stderr: r.stderr };
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

function measure(label, env, args, expectCode) {
  const runs = [];
  for (let i = 0; i < reps; i++) {
    const r = lvsplay(env, ...args);
    if (r.code !== expectCode) throw new Error(`${label}: exit ${r.code}, expected ${expectCode}\n${r.stderr.slice(-3000)}`);
    runs.push(r);
  }
  const last = runs.at(-1);
  return {
    wallMs: spread(runs.map((r) => Math.round(r.wallMs))),
    peakRssMiB: spread(runs.map((r) => Math.round(r.rssKiB / 102.4) / 10)),
    cost: cost(last.json?.stats ?? last.json?.cost),
  };
}

const results = { machine: { cpus: (await import("node:os")).cpus().length, node: process.version }, reps, forks: forks ?? "default", sizes: {} };
const forkArgs = forks ? ["--forks", forks] : [];
let failed = false;
for (const n of sizes) {
  const dir = join(root, ".bench", `n${n}`);
  mkdirSync(dir, { recursive: true });
  const topoFile = join(dir, "bench.clab.yml");
  writeFileSync(topoFile, stringify(topology(n)));
  const env = { LVSPLAY_LAB_DIR: join(dir, "lab") };
  const inventory = join(dir, "lab", "inventory.yaml");
  try {
    console.error(`\n== N=${n}: lab up`);
    const upStarted = Date.now();
    const up = spawnSync(process.execPath, [cli, "lab", "up", topoFile], { cwd: root, env: { ...process.env, ...env }, encoding: "utf8" });
    if (up.status !== 0) throw new Error(`lab up failed:\n${up.stdout}\n${up.stderr}`);
    const labUpMs = Date.now() - upStarted;
    console.error(`   lab up ${(labUpMs / 1000).toFixed(1)} s; first apply`);
    const first = lvsplay(env, "apply", inventory, "--json", ...forkArgs);
    if (first.code !== 0) throw new Error(`first apply: exit ${first.code}\n${first.stderr.slice(-3000)}`);
    const row = {
      labUpMs,
      firstApply: { wallMs: Math.round(first.wallMs), peakRssMiB: Math.round(first.rssKiB / 102.4) / 10, cost: cost(first.json?.stats) },
    };
    console.error("   no-op apply");
    row.noopApply = measure("no-op apply", env, ["apply", inventory, "--json", ...forkArgs], 0);
    console.error("   apply --check");
    row.check = measure("apply --check", env, ["apply", inventory, "--check", "--json", ...forkArgs], 0);
    console.error("   audit");
    row.audit = measure("audit", env, ["audit", inventory, "--json", ...forkArgs], 0);
    results.sizes[n] = row;
  } catch (error) {
    failed = true;
    console.error(`bench N=${n} failed: ${error.message}`);
    results.sizes[n] = { error: error.message.slice(0, 2000) };
  } finally {
    spawnSync(process.execPath, [cli, "lab", "down"], { cwd: root, env: { ...process.env, ...env }, stdio: "ignore" });
  }
}

mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);

const fmt = (s) => `${s.median} (${s.min}–${s.max})`;
const range = (r) => (r.min === r.max ? `${r.min}` : `${r.min}–${r.max}`);
console.log(`\nlvsplay benchmark: ${results.machine.cpus} CPUs, node ${results.machine.node}, ${reps} repetitions, forks ${results.forks}`);
console.log("wall ms: median (min–max), process start to exit; RSS MiB: peak of the lvsplay process");
for (const [n, row] of Object.entries(results.sizes)) {
  if (row.error) {
    console.log(`N=${n}: FAILED ${row.error.split("\n")[0]}`);
    continue;
  }
  console.log(`\nN=${n}  (lab up ${(row.labUpMs / 1000).toFixed(1)} s)`);
  console.log(`  first apply   ${row.firstApply.wallMs} ms, RSS ${row.firstApply.peakRssMiB} MiB`);
  for (const [name, m] of [["no-op apply", row.noopApply], ["apply --check", row.check], ["audit", row.audit]]) {
    const c = m.cost;
    const stages = Object.entries(c.maxCommandsPerHostByStage).map(([s, k]) => `${s}:${k}`).join(" ");
    console.log(
      `  ${name.padEnd(13)} ${fmt(m.wallMs)} ms, RSS ${fmt(m.peakRssMiB)} MiB; per host: ${range(c.connectionsPerHost)} connection(s), ` +
        `${range(c.commandsPerHost)} command(s), ${c.bytesSentPerHost} B sent / ${c.bytesReceivedPerHost} B received (medians); round trips by stage (max over hosts): ${stages}`,
    );
  }
}
console.log(`\nJSON: ${out}`);
process.exit(failed ? 1 : 0);
