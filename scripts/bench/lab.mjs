// Bench labs that can exist beside the test suite's: a slot (names and a
// 10.77.<id>.0/24) reserved the same way test/support/lab-topology.ts does
// (mkdir under /run/lvsplay-test-labs is atomic; a dead owner's slot is taken
// over), and a topology of N hosts in it: ds1, ds2 (firewalld), rs3…, client.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";

const RESERVATIONS = "/run/lvsplay-test-labs";

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === "EPERM";
  }
};

/** Reserves a slot for this process: { id, subnet: "10.77.<id>", release() }. */
export function reserveSlot() {
  mkdirSync(RESERVATIONS, { recursive: true });
  const routes = spawnSync("ip", ["-4", "-o", "route", "show", "table", "all"], { encoding: "utf8" }).stdout ?? "";
  const routed = new Set([...routes.matchAll(/\b10\.77\.(\d+)\./g)].map((m) => Number(m[1])));
  const start = 1 + ((process.pid * 13) % 250);
  for (let k = 0; k < 250; k++) {
    const id = 1 + ((start - 1 + k) % 250);
    if (routed.has(id)) continue;
    const dir = join(RESERVATIONS, String(id));
    try {
      mkdirSync(dir);
    } catch {
      let owner = 0;
      try {
        owner = Number(readFileSync(join(dir, "pid"), "utf8"));
      } catch {
        continue; // being created by its owner right now
      }
      if (owner > 0 && alive(owner)) continue;
      rmSync(dir, { recursive: true, force: true });
      try {
        mkdirSync(dir);
      } catch {
        continue;
      }
    }
    writeFileSync(join(dir, "pid"), String(process.pid));
    return { id, subnet: `10.77.${id}`, release: () => rmSync(dir, { recursive: true, force: true }) };
  }
  throw new Error(`no free lab slot under ${RESERVATIONS}`);
}

const hex2 = (n) => n.toString(16).padStart(2, "0");

/**
 * containerlab topology with n nodes in the slot (realised by `lvsplay lab up`):
 * two directors that are also real servers (ds2 persists through firewalld),
 * n - 3 real servers, one client. The VIP is .250, out of the hosts' range.
 */
export function benchTopology(slot, n) {
  const third = Number(slot.subnet.split(".")[2]);
  const web = [
    "sh -c 'mkdir -p /var/www/html && hostname > /var/www/html/index.html'",
    "busybox httpd -p 80 -h /var/www/html",
  ];
  const bridge = `b${slot.id}br`;
  const nodes = {
    [bridge]: {
      kind: "bridge",
      labels: {
        "lvsplay.address": `${slot.subnet}.1/24`,
        "lvsplay.mac": `02:00:0a:${hex2(third)}:00:01`,
        "lvsplay.vip": `${slot.subnet}.250`,
        "lvsplay.vip-ports": "80",
        "lvsplay.vrid": 1 + (slot.id % 250),
      },
    },
  };
  const links = [];
  const names = ["ds1", "ds2", ...Array.from({ length: n - 3 }, (_, i) => `rs${i + 3}`), "client"];
  names.forEach((name, i) => {
    const groups = name.startsWith("ds") ? "directors,realservers" : name === "client" ? "clients" : "realservers";
    const firewalld = name === "ds2";
    nodes[name] = {
      kind: "linux",
      labels: { "lvsplay.groups": groups, ...(firewalld ? { "lvsplay.firewalld": "true" } : {}) },
      exec: firewalld
        ? [...web, "firewall-cmd --quiet --permanent --add-service=http", "firewall-cmd --quiet --add-service=http"]
        : web,
    };
    links.push({
      type: "veth",
      endpoints: [
        { node: name, interface: "eth1", mac: `02:00:0a:${hex2(third)}:01:${hex2(i + 0x11)}`, ipv4: `${slot.subnet}.${11 + i}/24` },
        { node: bridge, interface: `b${slot.id}p${i}` },
      ],
    });
  });
  return stringify({ name: `b${slot.id}n${n}`, topology: { kinds: { linux: { image: "lvsplay/node:debian12" } }, nodes, links } });
}
