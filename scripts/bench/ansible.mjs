// The Ansible side of `npm run bench -- --vs-ansible`: installs ansible-core
// (and python3-apt, which its apt module needs on the hosts) from Debian when
// missing, writes an Ansible inventory for a bench lab from the lvsplay
// inventory `lab up` generated, and runs bench/ansible/lvs-ha.yml, reading
// the PLAY RECAP.
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parse, stringify } from "yaml";

const PACKAGES = ["ansible-core", "python3-apt"];

/** apt-get install what is missing (only in --vs-ansible mode); returns the ansible-playbook version line. */
export function ensureAnsible() {
  const missing = PACKAGES.filter(
    (p) => !/^ii/.test(spawnSync("dpkg-query", ["-W", "-f=${db:Status-Abbrev}", p], { encoding: "utf8" }).stdout ?? ""),
  );
  if (missing.length > 0) {
    console.error(`bench: installing ${missing.join(" ")} (apt-get)`);
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    if (spawnSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...missing], { stdio: "inherit", env }).status !== 0) {
      spawnSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
      const r = spawnSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...missing], { stdio: "inherit", env });
      if (r.status !== 0) throw new Error(`apt-get install ${missing.join(" ")} failed`);
    }
  }
  return (spawnSync("ansible-playbook", ["--version"], { encoding: "utf8" }).stdout ?? "").split("\n")[0];
}

/** Ansible inventory (YAML) for the lab behind `lvsplayInventory`; `firewalld`: hosts that run firewalld. */
export function writeAnsibleInventory(lvsplayInventory, firewalld, out) {
  const inv = parse(readFileSync(lvsplayInventory, "utf8"));
  const base = dirname(resolve(lvsplayInventory));
  const service = inv.lvs.services[0];
  const hosts = {};
  const groups = { directors: {}, realservers: {}, clients: {} };
  for (const [name, h] of Object.entries(inv.hosts)) {
    const isDirector = h.groups.includes("directors");
    const fw = firewalld.includes(name);
    hosts[name] = {
      ansible_host: h.address,
      lvs_firewalld: fw,
      lvs_packages: isDirector
        ? ["ipvsadm", "keepalived", "iptables", "ipset", fw ? "firewalld" : "iptables-persistent"]
        : h.groups.includes("clients")
          ? ["curl"]
          : [],
    };
    for (const g of h.groups) if (groups[g]) groups[g][name] = null;
  }
  const doc = {
    all: {
      vars: {
        ansible_user: inv.defaults.user,
        ansible_ssh_private_key_file: resolve(base, inv.defaults.identity),
        ansible_ssh_common_args: `-o UserKnownHostsFile=${resolve(base, inv.defaults.known_hosts)}`,
        lvs_interface: "eth1",
        lvs_vip: service.vip,
        lvs_port: service.ports[0],
        lvs_vrid: inv.lvs.vrrp.virtual_router_id,
        lvs_vrrp_only: inv.lvs.vrrp_only === true,
        // The lab's namespace hosts run no systemd (lvsplay detects that per host;
        // Ansible's service module would ask systemctl and fail).
        lvs_service_manager: "sysvinit",
      },
      hosts,
      children: Object.fromEntries(Object.entries(groups).map(([g, hs]) => [g, { hosts: hs }])),
    },
  };
  writeFileSync(out, stringify(doc));
}

/** One ansible-playbook run: exit code, wall ms, per-host recap, CPU of the whole process tree. */
export function runAnsible(root, inventory) {
  const dir = join(root, "bench", "ansible");
  const started = process.hrtime.bigint();
  const r = spawnSync("/usr/bin/time", ["-f", "LVSPLAY-BENCH-CPU %U %S", "ansible-playbook", "-i", inventory, join(dir, "lvs-ha.yml")], {
    cwd: dir,
    env: { ...process.env, ANSIBLE_CONFIG: join(dir, "ansible.cfg"), ANSIBLE_NOCOLOR: "1", ANSIBLE_FORCE_COLOR: "0" },
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  const cpu = /LVSPLAY-BENCH-CPU ([\d.]+) ([\d.]+)/.exec(r.stderr ?? "");
  const recap = {};
  const at = (r.stdout ?? "").lastIndexOf("PLAY RECAP");
  for (const line of (r.stdout ?? "").slice(at).split("\n").slice(1)) {
    const m = /^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/.exec(line);
    if (m) recap[m[1]] = { ok: +m[2], changed: +m[3], unreachable: +m[4], failed: +m[5] };
  }
  return {
    code: r.status,
    wallMs,
    cpuSec: cpu ? Number(cpu[1]) + Number(cpu[2]) : Number.NaN,
    recap,
    output: `${r.stdout ?? ""}\n${r.stderr ?? ""}`,
  };
}

/**
 * The lvsplay inventory an operator taking over from this playbook writes: the same hosts and
 * service, with `lvs.keepalived.adopt: true`, because the playbook's hand-made keepalived.conf
 * already serves the VIP and lvsplay (rightly) stops on such blocks unless told to replace them.
 */
export function writeAdoptingInventory(lvsplayInventory, out) {
  const inv = parse(readFileSync(lvsplayInventory, "utf8"));
  inv.lvs.keepalived = { ...(inv.lvs.keepalived ?? {}), adopt: true };
  writeFileSync(out, stringify(inv));
}
