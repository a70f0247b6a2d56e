// Stage 2 — discover each director's data-plane interface and MAC. Read-only;
// the result is published so every director's later plan can exclude every
// other director's MAC.
import { z } from "zod";
import { charsetMessage, INTERFACE, IPV4, MAC } from "../../config/charsets.js";
import { factRequest, type Operation, type Plan } from "../../engine/types.js";
import { fileFact } from "../../facts/file.js";
import { iptablesFact } from "../../facts/iptables.js";
import { type Interface, type NetworkFact, networkFact } from "../../facts/network.js";
import { nftablesFact } from "../../facts/nftables.js";
import { osFact } from "../../facts/os.js";
import type { Host, Inventory } from "../../inventory/model.js";
import { foreignFwmarks, inCidr, parseMangle, VRRP_INSTANCE_NAME, viewConfig } from "../../lvs/index.js";
import { DATA_PLANE } from "./data-keys.js";
import { daemonOptionRequests, keepalivedConfigRequest } from "./keepalived.js";
import { coexistenceErrors, daemonConfigError } from "./keepalived-files.js";
import { type DiscoveredDirector, isDirector, lvsOf } from "./shared.js";

const Args = z.strictObject({});

/** Addresses the data plane must reach: VIPs and real servers' data addresses. */
function dataPlaneTargets(inv: Inventory, self: Host): string[] {
  const lvs = lvsOf(inv);
  const rs = inv.hosts
    .filter((h) => h.name !== self.name && h.groups.includes("realservers"))
    .map((h) => h.dataAddress ?? h.connection.address);
  return [...new Set([...lvs.services.map((s) => s.vip), ...rs])].filter((a) => !a.startsWith("127."));
}

/** Pick the interface: explicit → must exist; else the one whose connected subnet holds the targets. */
export function pickInterface(
  net: NetworkFact,
  explicit: string | undefined,
  targets: readonly string[],
): { iface: Interface } | { error: string } {
  const usable = net.interfaces.filter(
    (i) => i.name !== "lo" && i.mac !== "" && i.mac !== "00:00:00:00:00:00",
  );
  if (explicit) {
    const iface = net.interfaces.find((i) => i.name === explicit);
    if (!iface) {
      return {
        error: `interface ${explicit} (set in the inventory) does not exist; have: ${usable.map((i) => i.name).join(", ")}`,
      };
    }
    return { iface };
  }
  const candidates = new Set<string>();
  for (const target of targets) {
    for (const i of usable) if (i.ipv4.some((cidr) => inCidr(target, cidr))) candidates.add(i.name);
    // Connected routes (no gateway) also say which interface faces a subnet.
    for (const r of net.routes)
      if (!r.gateway && r.dst !== "default" && r.dst.includes("/") && inCidr(target, r.dst))
        candidates.add(r.dev);
  }
  const names = [...candidates].filter((n) => usable.some((i) => i.name === n));
  if (names.length === 1) return { iface: usable.find((i) => i.name === names[0])! };
  if (names.length === 0) {
    return {
      error: `no interface has a connected route to ${targets.join(", ")}; set \`interface:\` for this host in the inventory`,
    };
  }
  return {
    error: `data-plane interface is ambiguous: ${names.join(", ")} all reach ${targets.join(", ")}; set \`interface:\` for this host in the inventory`,
  };
}

/** Why a discovered value cannot be rendered (outside its character set), if it cannot. */
export function discoveredProblem(iface: string, mac: string, address: string): string | undefined {
  const checks = [
    { label: "interface name", value: iface, message: charsetMessage(INTERFACE, iface) },
    { label: "MAC address", value: mac, message: charsetMessage(MAC, mac) },
    { label: "IPv4 address", value: address, message: charsetMessage(IPV4, address) },
  ];
  const bad = checks.find((c) => c.message !== undefined);
  if (!bad) return undefined;
  const shown = JSON.stringify(bad.value.length > 60 ? `${bad.value.slice(0, 59)}…` : bad.value);
  return `discovered ${bad.label} ${shown} cannot be used: ${bad.message}; it would be written into keepalived.conf and rules: rename the interface`;
}

export const discoverOperation: Operation<z.infer<typeof Args>> = {
  name: "lvs.discover",
  description: "find each director's data-plane interface and MAC (shared with the other directors)",
  argsSchema: Args,
  parseArgs: (raw) => Args.parse(raw ?? {}),
  facts: ({ host, inventory }) =>
    isDirector(host)
      ? [
          factRequest(networkFact),
          factRequest(iptablesFact),
          factRequest(nftablesFact),
          keepalivedConfigRequest(inventory),
          ...daemonOptionRequests,
        ]
      : [],
  produces: ({ host }) => (isDirector(host) ? [DATA_PLANE] : []),
  plan: ({ host, inventory, facts }): Plan => {
    if (!isDirector(host)) return { changes: [], skipped: "not a director" };
    const net = facts.get(factRequest(networkFact));
    const picked = pickInterface(net, host.interface, dataPlaneTargets(inventory, host));
    if ("error" in picked) return { changes: [], error: picked.error };
    const { iface } = picked;
    // Several addresses on the interface: the inventory's data_address says which one real servers use.
    const listed = iface.ipv4.map((cidr) => cidr.split("/")[0]!);
    const address = host.dataAddress && listed.includes(host.dataAddress) ? host.dataAddress : listed[0];
    if (!address) return { changes: [], error: `interface ${iface.name} has no IPv4 address` };
    // Bonds, VLANs and macvlans forward with their own MAC, which is what peers see.
    const kindNote = ["bond", "vlan", "macvlan"].includes(iface.kind)
      ? [`${iface.name} is a ${iface.kind}: excluding the MAC frames leave with (${iface.mac})`]
      : [];
    // Discovered values are input too: they end up in keepalived.conf and mark rules.
    const bad = discoveredProblem(iface.name, iface.mac, address);
    if (bad) return { changes: [], error: bad };
    const mangleSave = facts.get(factRequest(iptablesFact)).mangle;
    const config = facts.get(keepalivedConfigRequest(inventory));
    // A director whose keepalived configuration cannot take lvsplay's fails here,
    // before any stage changed anything on any director (peers stop at the marks stage).
    const refusals = [
      daemonConfigError(inventory, facts.get(factRequest(osFact)), (path) =>
        facts.get(factRequest(fileFact, path)),
      ),
      ...coexistenceErrors(inventory, host.name, iface.name, config, mangleSave),
    ].filter((e): e is string => e !== undefined);
    if (refusals.length > 0) return { changes: [], error: `keepalived: ${refusals.join("; ")}` };
    // Marks others set, seen through iptables-save and through nft (native nftables tables),
    // and marks the host's own keepalived configuration uses (lvsplay's file is not read as the host's).
    const mangle = parseMangle(mangleSave);
    const nft = facts.get(factRequest(nftablesFact)).ruleset;
    const keepalived = foreignFwmarks(viewConfig(config, VRRP_INSTANCE_NAME));
    const foreign = new Set([...mangle.foreignMarks, ...nft.foreignMarks, ...keepalived]);
    const discovered: DiscoveredDirector = {
      name: host.name,
      interface: iface.name,
      mac: iface.mac,
      address,
      foreignMarks: [...foreign].sort((a, b) => a - b),
    };
    return {
      changes: [],
      notes: [`data plane ${iface.name} ${iface.mac} ${address}`, ...kindNote],
      produce: [DATA_PLANE.value(discovered)],
    };
  },
};
