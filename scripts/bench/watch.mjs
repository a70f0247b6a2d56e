// The watch part of the benchmark: `lvsplay audit --watch` on a converged
// bench lab. Reads its own /metrics: controller CPU, bytes and round trips per
// host per cycle over a run of cycles, then changes a director's MAC and counts
// the cycles (and seconds) until the critical drift shows on /metrics.
import { spawn, spawnSync } from "node:child_process";
import { join } from "node:path";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function scrape(url) {
  const text = await (await fetch(url)).text();
  const m = new Map();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    m.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return m;
}

const sum = (m, prefix) => [...m].filter(([k]) => k.startsWith(prefix)).reduce((s, [, v]) => s + v, 0);

async function until(what, probe, timeoutMs) {
  const started = Date.now();
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() - started > timeoutMs) throw new Error(`watch bench: timed out waiting for ${what}`);
    await sleep(50);
  }
}

/**
 * Runs the watch for `cycles` cycles at `interval`, then the MAC change.
 * `labExec(node, argv)` runs a command inside a lab host; `bridge` is the lab's bridge.
 */
export async function benchWatch({ root, env, inventory, hosts, director, iface, bridge, labExec, interval = "1s", cycles = 10 }) {
  const child = spawn(process.execPath, [join(root, "bin", "lvsplay.js"), "audit", inventory, "--watch", "--interval", interval, "--listen", "127.0.0.1:0"], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stdout.on("data", (d) => (log += d));
  child.stderr.on("data", (d) => (log += d));
  try {
    const url = await until("the metrics address", async () => /serving metrics on (\S+)/.exec(log)?.[1], 60_000);
    const cycle = async () => (await scrape(url)).get("lvsplay_watch_cycles_total") ?? 0;
    // The first cycle opens the connections: measure from the second one on.
    await until("two cycles", async () => (await cycle()) >= 2, 300_000);
    const a = await scrape(url);
    const start = a.get("lvsplay_watch_cycles_total");
    await until(`${cycles} more cycles`, async () => (await cycle()) >= start + cycles, 600_000);
    const b = await scrape(url);
    const n = b.get("lvsplay_watch_cycles_total") - start;
    const delta = (prefix) => (sum(b, prefix) - sum(a, prefix)) / n;
    const result = {
      interval,
      cycles: n,
      lastCycleSec: b.get("lvsplay_watch_last_cycle_duration_seconds"),
      cpuMsPerCycle: (delta("lvsplay_watch_cpu_seconds_total") * 1000),
      cpuMsPerHostPerCycle: (delta("lvsplay_watch_cpu_seconds_total") * 1000) / hosts,
      roundTripsPerHostPerCycle: delta("lvsplay_watch_round_trips_total") / hosts,
      sentBytesPerHostPerCycle: delta("lvsplay_watch_sent_bytes_total") / hosts,
      receivedBytesPerHostPerCycle: delta("lvsplay_watch_received_bytes_total") / hosts,
      connectionsPerHost: sum(b, "lvsplay_watch_connections_total") / hosts,
    };
    // A NIC swap on a director: critical drift on /metrics, counted in cycles.
    const changedAt = await cycle();
    const t0 = Date.now();
    const r = await labExec(director, ["ip", "link", "set", iface, "address", "02:99:00:00:00:3e"]);
    if (r.code !== 0) throw new Error(`cannot change ${director}'s MAC: ${r.stderr}`);
    spawnSync("ip", ["neigh", "flush", "dev", bridge]);
    const seen = await until(
      "critical drift on /metrics",
      async () => {
        const m = await scrape(url);
        return (m.get('lvsplay_audit_drift_items_by_severity{severity="critical"}') ?? 0) >= 1
          ? m.get("lvsplay_watch_cycles_total")
          : undefined;
      },
      300_000,
    );
    return { ...result, macToDriftMs: Date.now() - t0, macToDriftCycles: seen - changedAt };
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => (child.exitCode !== null ? r() : child.once("exit", r)));
  }
}
