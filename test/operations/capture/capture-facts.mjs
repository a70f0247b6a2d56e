#!/usr/bin/env node
// Regenerates the raw fact outputs under test/operations/fixtures/captures/ by
// running each fact's own probe command (taken from the built facts in dist/)
// inside throwaway network namespaces shaped like the seed hosts. Needs root,
// iproute2 and iptables; run `npm run build` first. Every namespace is deleted
// by name in `finally`, also on failure.
//
//   node test/operations/capture/capture-facts.mjs
//
// Mark rules are created with plain `iptables` commands typed the way the seed
// document types them — not with lvsplay's own restore input — so a fixture
// "converged" state is what a human-configured host looks like, and the
// operation must recognise it as equal.
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "../../..");
const out = join(root, "test/operations/fixtures/captures");
const { networkFact } = await import(join(root, "dist/facts/network.js"));
const { iptablesFact } = await import(join(root, "dist/facts/iptables.js"));
const { kernelFact } = await import(join(root, "dist/facts/kernel.js"));
const { sysctlFact } = await import(join(root, "dist/facts/sysctl.js"));
const { osFact } = await import(join(root, "dist/facts/os.js"));
const { packagesFact } = await import(join(root, "dist/facts/packages.js"));
const { PACKAGE_CANDIDATES } = await import(join(root, "dist/operations/lvs/packages.js"));

const created = [];
const tag = `lvsfx${process.pid}`;
const sh = (argv, input) => execFileSync(argv[0], argv.slice(1), { encoding: "utf8", input });
const inNs = (ns, argv, input) => sh(["ip", "netns", "exec", ns, ...argv], input);
/** The fact command's stdout inside the namespace (facts exit 0 on all paths used here). */
const probe = (ns, fact, args = []) => inNs(ns, fact.command(args).argv);
const save = (rel, text) => {
  const path = join(out, rel);
  mkdirSync(dirname(path), { recursive: true });
  // iptables-save stamps each table with the time: pin it so re-captures diff cleanly.
  writeFileSync(path, text.replace(/ on \w{3} \w{3} +\d+ [\d:]+ \d{4}$/gm, " on Thu Nov 26 12:00:00 2026"));
  console.log(`wrote ${rel}`);
};

function netns(name) {
  const ns = `${tag}${name}`;
  sh(["ip", "netns", "add", ns]);
  created.push(ns);
  inNs(ns, ["ip", "link", "set", "lo", "up"]);
  return ns;
}
/** A veth NIC named `ifname` in `ns` with a fixed MAC; its peer sits in the `wire` namespace. */
function nic(ns, wire, ifname, mac, cidr) {
  const peer = `p${created.length}${ifname}`.slice(0, 15);
  sh([
    "ip",
    "link",
    "add",
    ifname,
    "netns",
    ns,
    "address",
    mac,
    "type",
    "veth",
    "peer",
    "name",
    peer,
    "netns",
    wire,
  ]);
  inNs(ns, ["ip", "addr", "add", cidr, "dev", ifname]);
  inNs(ns, ["ip", "link", "set", ifname, "up"]);
  inNs(wire, ["ip", "link", "set", peer, "up"]);
}

const MARK_RULE = (peerMacs, mark) => [
  "iptables",
  "-t",
  "mangle",
  "-A",
  "LVSPLAY-MARK",
  "-d",
  "7.7.7.100",
  "-p",
  "tcp",
  "--dport",
  "80",
  ...peerMacs.flatMap((m) => ["-m", "mac", "!", "--mac-source", m]),
  "-m",
  "comment",
  "--comment",
  "lvsplay:web",
  "-j",
  "MARK",
  "--set-mark",
  String(mark),
];

try {
  const wire = netns("wire");

  // --- networks ---------------------------------------------------------------
  // Directors as in containerlab: eth0 management (default route), eth1 data plane.
  for (const [name, n] of [
    ["ds1", 1],
    ["ds2", 2],
  ]) {
    const ns = netns(name);
    nic(ns, wire, "eth0", `02:42:ac:14:14:0${n}`, `172.20.20.1${n}/24`);
    inNs(ns, ["ip", "route", "add", "default", "via", "172.20.20.1"]);
    nic(ns, wire, "eth1", `02:00:07:07:07:1${n}`, `7.7.7.1${n}/24`);
    save(`network/${name}-bare.txt`, probe(ns, networkFact));
    inNs(ns, ["ip", "addr", "add", "7.7.7.100/32", "dev", "lo"]);
    save(`network/${name}-vip-on-lo.txt`, probe(ns, networkFact));
    if (name === "ds1") {
      // MASTER: keepalived adds the VIP to the data interface too.
      inNs(ns, ["ip", "addr", "add", "7.7.7.100/32", "dev", "eth1"]);
      save("network/ds1-master.txt", probe(ns, networkFact));
      inNs(ns, ["ip", "addr", "del", "7.7.7.100/32", "dev", "eth1"]);
      // A VIP from a service that was removed from the inventory.
      inNs(ns, ["ip", "addr", "add", "7.7.7.99/32", "dev", "lo"]);
      save("network/ds1-old-vip-on-lo.txt", probe(ns, networkFact));
    }
  }
  {
    const ns = netns("rs3");
    nic(ns, wire, "eth0", "02:00:07:07:07:13", "7.7.7.13/24");
    save("network/rs3-bare.txt", probe(ns, networkFact));
    inNs(ns, ["ip", "addr", "add", "7.7.7.100/32", "dev", "lo"]);
    save("network/rs3-vip-on-lo.txt", probe(ns, networkFact));
  }
  {
    // Two NICs in the data subnet: discovery must refuse to guess.
    const ns = netns("amb");
    nic(ns, wire, "eth1", "02:00:07:07:07:11", "7.7.7.11/24");
    nic(ns, wire, "eth2", "02:00:07:07:07:21", "7.7.7.21/24");
    save("network/ds1-ambiguous.txt", probe(ns, networkFact));
  }
  {
    // Data plane reached through a connected route only (eth1's own address is elsewhere).
    const ns = netns("route");
    nic(ns, wire, "eth0", "02:42:ac:14:14:01", "172.20.20.11/24");
    inNs(ns, ["ip", "route", "add", "default", "via", "172.20.20.1"]);
    nic(ns, wire, "eth1", "02:00:07:07:07:11", "10.99.0.11/24");
    inNs(ns, ["ip", "route", "add", "7.7.7.0/24", "dev", "eth1"]);
    save("network/ds1-route-only.txt", probe(ns, networkFact));
  }

  // --- iptables mangle ------------------------------------------------------
  const ipt = netns("ipt");
  const run = (argv) => inNs(ipt, argv);
  const reset = () => inNs(ipt, ["iptables-restore"], "*mangle\nCOMMIT\n*filter\nCOMMIT\n");
  const ourChain = (peerMacs, mark) => {
    run(["iptables", "-t", "mangle", "-N", "LVSPLAY-MARK"]);
    run(["iptables", "-t", "mangle", "-I", "PREROUTING", "-j", "LVSPLAY-MARK"]);
    if (peerMacs) run(MARK_RULE(peerMacs, mark));
  };
  reset();
  save("iptables/bare.txt", probe(ipt, iptablesFact));
  ourChain(["02:00:07:07:07:12"], 1);
  save("iptables/ds1-converged.txt", probe(ipt, iptablesFact));
  run(["iptables", "-t", "mangle", "-A", "PREROUTING", "-j", "LVSPLAY-MARK"]);
  save("iptables/ds1-duplicate-jump.txt", probe(ipt, iptablesFact));
  reset();
  ourChain(null);
  save("iptables/ds1-rule-deleted.txt", probe(ipt, iptablesFact));
  reset();
  // ds2's NIC was replaced: the rule still excludes its old MAC.
  ourChain(["02:00:07:07:07:99"], 1);
  save("iptables/ds1-old-peer-mac.txt", probe(ipt, iptablesFact));
  reset();
  ourChain(["02:00:07:07:07:11"], 2);
  save("iptables/ds2-converged.txt", probe(ipt, iptablesFact));
  reset();
  // Someone else's policy routing marks HTTPS with 0x1 (the allocator must avoid 1).
  run([
    "iptables",
    "-t",
    "mangle",
    "-A",
    "PREROUTING",
    "-d",
    "7.7.7.200",
    "-p",
    "tcp",
    "--dport",
    "443",
    "-j",
    "MARK",
    "--set-mark",
    "1",
  ]);
  save("iptables/ds1-foreign-mark.txt", probe(ipt, iptablesFact));
  reset();
  // A filter table with unrelated rules: the content of a pre-existing rules.v4.
  run(["iptables", "-A", "INPUT", "-p", "tcp", "--dport", "22", "-j", "ACCEPT"]);
  run(["iptables", "-A", "INPUT", "-s", "192.0.2.0/24", "-j", "DROP"]);
  save("iptables/filter-only.rules", inNs(ipt, ["iptables-save", "-t", "filter"]));
  // What `netfilter-persistent save` writes on a converged ds1 with those filter rules.
  ourChain(["02:00:07:07:07:12"], 1);
  save("files/rules.v4-ds1-saved.txt", inNs(ipt, ["iptables-save"]));
  reset();

  // --- kernel, sysctl, os, packages -----------------------------------------
  save("kernel/no-ipvs.txt", probe(ipt, kernelFact));
  const keys = [
    "net.ipv4.conf.all.arp_ignore",
    "net.ipv4.conf.all.arp_announce",
    "net.ipv4.conf.lo.arp_ignore",
    "net.ipv4.conf.lo.arp_announce",
  ];
  save("sysctl/defaults.txt", probe(ipt, sysctlFact, keys));
  run(["sysctl", "-q", "-w", `${keys[0]}=1`, `${keys[1]}=2`, `${keys[2]}=1`, `${keys[3]}=2`]);
  save("sysctl/dr.txt", probe(ipt, sysctlFact, keys));
  save("os/debian12.txt", probe(ipt, osFact));
  save("packages/debian-this-machine.txt", probe(ipt, packagesFact, [...PACKAGE_CANDIDATES]));
} finally {
  for (const ns of created.reverse()) {
    try {
      sh(["ip", "netns", "del", ns]);
    } catch (e) {
      console.error(`could not delete netns ${ns}: ${e}`);
    }
  }
}
