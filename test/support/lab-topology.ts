// Topologies for test labs that can exist side by side. Bridge, port and
// namespace names and the data-plane subnet are machine-wide, so every test
// file builds its lab from a generated topology with names and a subnet of its
// own (reserved here), never from the canonical file's fixed ones. The same
// generator builds labs with other host names, interface names and sizes.

import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { stringify } from "yaml";

export interface LabNodeSpec {
  readonly name: string;
  readonly groups: readonly string[];
  /** Data-plane interface inside the node (default eth1). */
  readonly iface?: string;
  readonly firewalld?: boolean;
  /** The node's firewall (default iptables; firewalld: true means "firewalld"). */
  readonly firewall?: "iptables" | "firewalld" | "nftables";
  /** Serve the node's name over HTTP on the service ports (default: true). */
  readonly web?: boolean;
  /** More containerlab `exec` commands, run after the web server's. */
  readonly exec?: readonly string[];
}

export interface LabSpec {
  /** containerlab lab name (namespaces are clab-<lab>-<node>). */
  readonly lab: string;
  readonly bridge: string;
  /** Prefix of the machine-side veth names (prefix + node index must fit 15 characters). */
  readonly portPrefix: string;
  /** First three octets of the /24, e.g. "10.77.5". */
  readonly subnet: string;
  readonly nodes: readonly LabNodeSpec[];
  /** Last octet of the VIP (default 100). */
  readonly vipOctet?: number;
  readonly ports?: readonly number[];
  readonly vrid?: number;
}

/** The canonical lab's roles (containerlab/lvs.clab.yml): two co-located directors (ds2 with firewalld), rs3, client. */
export const CANONICAL_NODES: readonly LabNodeSpec[] = [
  { name: "ds1", groups: ["directors", "realservers"] },
  { name: "ds2", groups: ["directors", "realservers"], firewalld: true },
  { name: "rs3", groups: ["realservers"] },
  { name: "client", groups: ["clients"] },
];

const hex2 = (n: number) => n.toString(16).padStart(2, "0");

/** containerlab YAML for the spec (the namespace realiser's label conventions). */
export function topologyYaml(spec: LabSpec): string {
  const third = Number(spec.subnet.split(".")[2] ?? 0);
  const ports = spec.ports ?? [80];
  const nodes: Record<string, unknown> = {
    [spec.bridge]: {
      kind: "bridge",
      labels: {
        "lvsplay.address": `${spec.subnet}.1/24`,
        "lvsplay.mac": `02:00:0a:${hex2(third)}:00:01`,
        "lvsplay.vip": `${spec.subnet}.${spec.vipOctet ?? 100}`,
        "lvsplay.vip-ports": ports.join(","),
        "lvsplay.vrid": spec.vrid ?? 51,
      },
    },
  };
  const links: unknown[] = [];
  spec.nodes.forEach((n, i) => {
    const web = n.web ?? true;
    const firewall = n.firewall ?? (n.firewalld ? "firewalld" : "iptables");
    const exec = web
      ? [
          "sh -c 'mkdir -p /var/www/html && hostname > /var/www/html/index.html'",
          ...ports.map((p) => `busybox httpd -p ${p} -h /var/www/html`),
          ...(firewall === "firewalld"
            ? ports.flatMap((p) => [
                `firewall-cmd --quiet --permanent --zone=public --add-port=${p}/tcp`,
                `firewall-cmd --quiet --zone=public --add-port=${p}/tcp`,
              ])
            : []),
        ]
      : [];
    exec.push(...(n.exec ?? []));
    nodes[n.name] = {
      kind: "linux",
      labels: {
        "lvsplay.groups": n.groups.join(","),
        ...(firewall === "firewalld" ? { "lvsplay.firewalld": "true" } : {}),
        ...(firewall === "nftables" ? { "lvsplay.firewall": "nftables" } : {}),
      },
      ...(exec.length > 0 ? { exec } : {}),
    };
    links.push({
      type: "veth",
      endpoints: [
        {
          node: n.name,
          interface: n.iface ?? "eth1",
          mac: `02:00:0a:${hex2(third)}:01:${hex2(i + 0x11)}`,
          ipv4: `${spec.subnet}.${11 + i}/24`,
        },
        { node: spec.bridge, interface: `${spec.portPrefix}${i}` },
      ],
    });
  });
  const doc = {
    name: spec.lab,
    topology: {
      kinds: { linux: { image: "lvsplay/node:debian12" } },
      nodes,
      links,
    },
  };
  return `# Generated for a test lab (test/support/lab-topology.ts).\n${stringify(doc)}`;
}

// Reservations are directories under /run: mkdir is atomic, so two test files
// (or two checkouts) starting at once never get the same subnet. A reservation
// whose owner process is gone is taken over.
const RESERVATIONS = "/run/lvsplay-test-labs";

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
};

/** Subnets routed on the machine right now (a lab must not shadow one). */
function routedThirdOctets(): Set<number> {
  const out =
    spawnSync("ip", ["-4", "-o", "route", "show", "table", "all"], { encoding: "utf8" }).stdout ?? "";
  const used = new Set<number>();
  for (const m of out.matchAll(/\b10\.77\.(\d+)\./g)) used.add(Number(m[1]));
  return used;
}

export interface LabSlot {
  /** 1-250: unique among the labs of tests running on this machine. */
  readonly id: number;
  /** "10.77.<id>" */
  readonly subnet: string;
  release(): void;
}

/** Reserves a lab slot (names and a 10.77.<id>.0/24 subnet) for this process. */
export function reserveLabSlot(): LabSlot {
  mkdirSync(RESERVATIONS, { recursive: true });
  const routed = routedThirdOctets();
  const start = 1 + ((process.pid * 7) % 250);
  for (let k = 0; k < 250; k++) {
    const id = 1 + ((start - 1 + k) % 250);
    if (routed.has(id)) continue;
    const dir = path.join(RESERVATIONS, String(id));
    try {
      mkdirSync(dir);
    } catch {
      let owner = 0;
      try {
        owner = Number(readFileSync(path.join(dir, "pid"), "utf8"));
      } catch {
        // Being created right now by its owner: leave it.
        continue;
      }
      if (owner > 0 && alive(owner)) continue;
      // Stale: its owner died without releasing it. Take it over.
      rmSync(dir, { recursive: true, force: true });
      try {
        mkdirSync(dir);
      } catch {
        continue;
      }
    }
    writeFileSync(path.join(dir, "pid"), String(process.pid));
    return {
      id,
      subnet: `10.77.${id}`,
      release: () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  throw new Error(`no free test lab slot under ${RESERVATIONS} (250 in use?)`);
}

/** A spec with the slot's unique names and subnet: `t<id>` lab, `t<id>br` bridge, `t<id>p<i>` ports. */
export function slotSpec(
  slot: LabSlot,
  nodes: readonly LabNodeSpec[] = CANONICAL_NODES,
  extra: Partial<LabSpec> = {},
): LabSpec {
  return {
    lab: `t${slot.id}`,
    bridge: `t${slot.id}br`,
    portPrefix: `t${slot.id}p`,
    subnet: slot.subnet,
    nodes,
    ...extra,
  };
}
