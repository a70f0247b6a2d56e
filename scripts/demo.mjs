#!/usr/bin/env node
// The main job, end to end on the built-in lab: bring the namespace lab up,
// converge it with `lvsplay apply` (live view), run it again to show nothing
// changes, and say where to look. `npm run demo -- --down` tears the lab down after.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const cli = join(root, "bin", "lvsplay.js");
const down = process.argv.includes("--down");
const step = (title) => process.stdout.write(`\n\x1b[1m== ${title}\x1b[0m\n`);
const lvsplay = (...args) => spawnSync(process.execPath, [cli, ...args], { stdio: "inherit", cwd: root }).status ?? 1;

const started = Date.now();
step("lab up: client, ds1 (RS1/DS1), ds2 (RS2/DS2, firewalld), rs3 on one L2 segment");
if (lvsplay("lab", "up") !== 0) process.exit(1);
const inventory = join(root, ".lab", "inventory.yaml");

step(`lvsplay apply ${inventory}`);
const first = lvsplay("apply", inventory);
step("second apply: must change nothing");
const second = lvsplay("apply", inventory, "--plain");
step("drift audit (exit 0 = no drift)");
const audit = lvsplay("audit", inventory, "--plain");

const secs = ((Date.now() - started) / 1000).toFixed(1);
step(`done in ${secs} s — apply: ${first}, re-apply: ${second}, audit: ${audit}`);
console.log(`Look around:
  npx lvsplay lab ssh ds1 iptables-save -t mangle     # the peer-MAC mark rule
  npx lvsplay lab ssh ds1 cat /etc/keepalived/keepalived.conf
  npx lvsplay lab ssh ds2 firewall-cmd --permanent --direct --get-all-rules
  npx lvsplay lab ssh client curl -s http://7.7.7.100/
  npx lvsplay audit ${inventory}
Tear down:  npx lvsplay lab down`);
if (down) lvsplay("lab", "down");
process.exit(first === 0 && second === 0 && audit === 0 ? 0 : 1);
