#!/usr/bin/env node
// Input-size benchmark: how long reading hostile-but-legal YAML takes.
//   node scripts/bench-input.mjs [--reps 3]
// Prints, for 25k/50k/100k keys in one mapping, the time parseYaml takes
// (parse + duplicate-key check + limits), and `lvsplay validate` (process
// start to exit) on an inventory as large as the size limit allows.
// Needs a build (npm run build). Numbers depend on the machine: compare runs
// on the same one.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const { parseYaml } = await import(path.join(root, "dist/config/yaml-source.js"));
const { MAX_INPUT_BYTES } = await import(path.join(root, "dist/config/yaml-limits.js"));

const repsAt = process.argv.indexOf("--reps");
const reps = repsAt > 0 ? Number(process.argv[repsAt + 1]) : 3;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const time = (fn) => {
  const runs = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    runs.push(performance.now() - t0);
  }
  return { median: median(runs), min: Math.min(...runs), max: Math.max(...runs) };
};
const fmt = (t) => `${(t.median / 1000).toFixed(2)} s (${(t.min / 1000).toFixed(2)}–${(t.max / 1000).toFixed(2)})`;

console.log(`parseYaml, keys in one mapping (median of ${reps}, min–max):`);
for (const n of [25_000, 50_000, 100_000]) {
  const text = `vars:\n${Array.from({ length: n }, (_, i) => `  key${i}: ${i}`).join("\n")}\n`;
  const t = time(() => {
    const parsed = parseYaml(text, "bench.yaml");
    if (parsed.problems.length > 0) throw new Error(parsed.problems[0].message);
  });
  console.log(`  ${String(n).padStart(7)} keys  ${(text.length / 1e6).toFixed(2)} MB  ${fmt(t)}`);
}

// An inventory just under the size limit: as many hosts as fit.
const dir = mkdtempSync(path.join(tmpdir(), "lvsplay-bench-input-"));
try {
  const hostLine = (i) => `  h${i}: { address: 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255} }\n`;
  let text = "hosts:\n";
  let hosts = 0;
  while (text.length + hostLine(hosts).length < MAX_INPUT_BYTES) text += hostLine(hosts++);
  const file = path.join(dir, "inventory.yaml");
  writeFileSync(file, text);
  const t = time(() => {
    const r = spawnSync(process.execPath, [path.join(root, "bin/lvsplay.cjs"), "validate", file], {
      encoding: "utf8",
    });
    if (r.status !== 0) throw new Error(r.stderr);
  });
  console.log(
    `lvsplay validate, ${hosts} hosts in ${(text.length / 1e6).toFixed(2)} MB (the size limit): ${fmt(t)}`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
