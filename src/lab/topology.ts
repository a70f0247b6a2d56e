// Reads a containerlab topology file into the lab model the namespace realiser
// builds. Only the subset the realiser can honour is accepted (kinds linux and
// bridge, veth links from a linux node's eth1 to a bridge port); anything else is
// refused with a message instead of being silently ignored.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseDocument } from "yaml";
import { UserError } from "../errors.js";

export interface LabBridge {
  /** Linux bridge name (containerlab: the node name of a `kind: bridge` node). */
  readonly name: string;
  /** CIDR the bridge gets in the machine's namespace (label lvsplay.address). */
  readonly address?: string;
  /** Fixed bridge MAC (label lvsplay.mac). */
  readonly mac?: string;
}

export interface LabHost {
  readonly name: string;
  readonly image?: string;
  /** containerlab `exec`: run inside the host (through `sh -c`) after it booted. */
  readonly exec: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
  /** Inventory groups (label lvsplay.groups). */
  readonly groups: readonly string[];
  /** The host's firewall: iptables (netfilter-persistent loads rules.v4), firewalld, or native nftables. */
  readonly firewall: LabFirewall;
  /** firewall === "firewalld". */
  readonly firewalld: boolean;
  /** Data-plane interface inside the host. */
  readonly interface: string;
  readonly mac: string;
  /** Data-plane address without prefix length. */
  readonly address: string;
  readonly prefixLength: number;
  /** The bridge this host's interface is plugged into, and the port's name on the machine. */
  readonly bridge: string;
  readonly bridgePort: string;
}

export const LAB_FIREWALLS = ["iptables", "firewalld", "nftables"] as const;
export type LabFirewall = (typeof LAB_FIREWALLS)[number];

export interface LabService {
  readonly vip: string;
  readonly ports: readonly number[];
  readonly vrid: number;
}

export interface LabTopology {
  /** containerlab lab name. */
  readonly name: string;
  /** Absolute path of the topology file. */
  readonly file: string;
  /** sha256 of the file's bytes: `up` compares it to tell "same lab" from "different lab". */
  readonly hash: string;
  readonly bridges: readonly LabBridge[];
  readonly hosts: readonly LabHost[];
  readonly service?: LabService;
}

export class TopologyError extends UserError {
  override readonly name = "TopologyError";
  constructor(message: string) {
    super("lab", message, "lvsplay lab");
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const IFNAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,14}$/;
const MAC = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;
const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

export function loadTopology(file: string): LabTopology {
  const abs = path.resolve(file);
  let source: string;
  try {
    source = readFileSync(abs, "utf8");
  } catch (error) {
    throw new TopologyError(
      `cannot read topology ${abs}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
  return parseTopology(source, abs);
}

export function parseTopology(source: string, file: string): LabTopology {
  const doc = parseDocument(source, { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) throw new TopologyError(`${file}: ${doc.errors[0]?.message}`);
  const root: unknown = doc.toJS();
  if (!isObj(root) || typeof root["name"] !== "string") throw new TopologyError(`${file}: missing lab name`);
  const topo = root["topology"];
  if (!isObj(topo) || !isObj(topo["nodes"])) throw new TopologyError(`${file}: missing topology.nodes`);
  const kinds = isObj(topo["kinds"]) ? topo["kinds"] : {};
  const linuxDefaults = isObj(kinds["linux"]) ? kinds["linux"] : {};
  checkBinds(file, linuxDefaults["binds"]);

  const bridges: LabBridge[] = [];
  const linuxNodes = new Map<string, Obj>();
  for (const [name, raw] of Object.entries(topo["nodes"])) {
    const node = isObj(raw) ? raw : {};
    const kind = node["kind"] ?? (isObj(topo["defaults"]) ? topo["defaults"]["kind"] : undefined);
    if (!IFNAME.test(name))
      throw new TopologyError(`${file}: node name "${name}" is not a usable interface name`);
    if (kind === "bridge") bridges.push(bridgeOf(file, name, labelsOf(node)));
    else if (kind === "linux") {
      checkBinds(file, node["binds"]);
      linuxNodes.set(name, node);
    } else
      throw new TopologyError(`${file}: node ${name}: kind ${String(kind)} is not supported (linux, bridge)`);
  }

  const hosts = realiseLinks(
    file,
    topo["links"],
    linuxNodes,
    new Set(bridges.map((b) => b.name)),
    linuxDefaults,
  );
  const service = serviceOf(file, bridges, topo["nodes"] as Obj);
  const hash = createHash("sha256").update(source).digest("hex");
  return { name: root["name"], file, hash, bridges, hosts, ...(service ? { service } : {}) };
}

function labelsOf(node: Obj): Record<string, string> {
  const labels = isObj(node["labels"]) ? node["labels"] : {};
  return Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, String(v)]));
}

/** The only bind the realiser honours is the authorized_keys one (it installs the lab key there). */
function checkBinds(file: string, binds: unknown): void {
  if (binds === undefined) return;
  for (const bind of Array.isArray(binds) ? binds : [binds]) {
    const target = String(bind).split(":")[1];
    if (target !== "/root/.ssh/authorized_keys")
      throw new TopologyError(`${file}: bind "${String(bind)}" is not supported by the namespace lab`);
  }
}

function bridgeOf(file: string, name: string, labels: Record<string, string>): LabBridge {
  const address = labels["lvsplay.address"];
  const mac = labels["lvsplay.mac"];
  if (address !== undefined && !CIDR.test(address))
    throw new TopologyError(`${file}: bridge ${name}: lvsplay.address must be a CIDR`);
  if (mac !== undefined && !MAC.test(mac))
    throw new TopologyError(`${file}: bridge ${name}: bad lvsplay.mac`);
  return { name, ...(address ? { address } : {}), ...(mac ? { mac: mac.toLowerCase() } : {}) };
}

interface Endpoint {
  node: string;
  iface: string;
  mac?: string;
  ipv4?: string;
}

function endpointsOf(file: string, link: unknown): [Endpoint, Endpoint] {
  const eps = isObj(link) ? link["endpoints"] : undefined;
  if (!Array.isArray(eps) || eps.length !== 2) throw new TopologyError(`${file}: a link needs two endpoints`);
  const parse = (ep: unknown): Endpoint => {
    if (typeof ep === "string") {
      const [node = "", iface = ""] = ep.split(":");
      return { node, iface };
    }
    if (!isObj(ep)) throw new TopologyError(`${file}: bad link endpoint`);
    return {
      node: String(ep["node"]),
      iface: String(ep["interface"]),
      ...(typeof ep["mac"] === "string" ? { mac: ep["mac"].toLowerCase() } : {}),
      ...(typeof ep["ipv4"] === "string" ? { ipv4: ep["ipv4"] } : {}),
    };
  };
  return [parse(eps[0]), parse(eps[1])];
}

function realiseLinks(
  file: string,
  links: unknown,
  linuxNodes: Map<string, Obj>,
  bridgeNames: Set<string>,
  defaults: Obj,
): LabHost[] {
  const hosts = new Map<string, LabHost>();
  for (const link of Array.isArray(links) ? links : []) {
    const pair = endpointsOf(file, link);
    const host = pair.find((e) => linuxNodes.has(e.node));
    const port = pair.find((e) => bridgeNames.has(e.node));
    if (!host || !port)
      throw new TopologyError(
        `${file}: link ${pair[0].node}—${pair[1].node}: only linux↔bridge links are supported`,
      );
    if (hosts.has(host.node)) throw new TopologyError(`${file}: node ${host.node} has more than one link`);
    if (!IFNAME.test(host.iface) || !IFNAME.test(port.iface))
      throw new TopologyError(`${file}: link of ${host.node}: bad interface name`);
    const cidr = host.ipv4 ? CIDR.exec(host.ipv4) : null;
    if (!host.mac || !MAC.test(host.mac) || !cidr)
      throw new TopologyError(`${file}: link of ${host.node}: the linux endpoint needs mac and ipv4 (CIDR)`);
    const node = linuxNodes.get(host.node) ?? {};
    const labels = labelsOf(node);
    const image = node["image"] ?? defaults["image"];
    const firewall = firewallOf(file, host.node, labels);
    hosts.set(host.node, {
      name: host.node,
      ...(typeof image === "string" ? { image } : {}),
      exec: Array.isArray(node["exec"]) ? node["exec"].map(String) : [],
      env: envOf(defaults, node),
      labels,
      groups: (labels["lvsplay.groups"] ?? "")
        .split(",")
        .map((g) => g.trim())
        .filter((g) => g.length > 0),
      firewall,
      firewalld: firewall === "firewalld",
      interface: host.iface,
      mac: host.mac,
      address: host.ipv4!.split("/")[0]!,
      prefixLength: Number(cidr[5]),
      bridge: port.node,
      bridgePort: port.iface,
    });
  }
  for (const name of linuxNodes.keys())
    if (!hosts.has(name)) throw new TopologyError(`${file}: node ${name} has no data-plane link`);
  // Keep the file's node order: inventories and VRRP order follow it.
  return [...linuxNodes.keys()].map((n) => hosts.get(n)!);
}

/** Label lvsplay.firewall (iptables | firewalld | nftables); lvsplay.firewalld: "true" is the older spelling. */
function firewallOf(file: string, node: string, labels: Record<string, string>): LabFirewall {
  const chosen =
    labels["lvsplay.firewall"] ?? (labels["lvsplay.firewalld"] === "true" ? "firewalld" : "iptables");
  const known = LAB_FIREWALLS.find((f) => f === chosen);
  if (known === undefined)
    throw new TopologyError(
      `${file}: node ${node}: lvsplay.firewall must be one of ${LAB_FIREWALLS.join(", ")}`,
    );
  return known;
}

function envOf(defaults: Obj, node: Obj): Record<string, string> {
  const merged = {
    ...(isObj(defaults["env"]) ? defaults["env"] : {}),
    ...(isObj(node["env"]) ? node["env"] : {}),
  };
  return Object.fromEntries(Object.entries(merged).map(([k, v]) => [k, String(v)]));
}

function serviceOf(file: string, bridges: readonly LabBridge[], nodes: Obj): LabService | undefined {
  for (const bridge of bridges) {
    const labels = labelsOf(isObj(nodes[bridge.name]) ? (nodes[bridge.name] as Obj) : {});
    const vip = labels["lvsplay.vip"];
    if (vip === undefined) continue;
    const ports = (labels["lvsplay.vip-ports"] ?? "80").split(",").map((p) => Number(p.trim()));
    if (ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535))
      throw new TopologyError(`${file}: bridge ${bridge.name}: bad lvsplay.vip-ports`);
    return { vip, ports, vrid: Number(labels["lvsplay.vrid"] ?? 51) };
  }
  return undefined;
}
