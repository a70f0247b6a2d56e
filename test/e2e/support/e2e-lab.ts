// One namespace lab per e2e test file, in its own temp state dir, always torn
// down in afterAll (also when a test or `up` itself failed). Bridge, port and
// namespace names and the subnet are machine-wide: each file's lab gets its own
// (test/support/lab-topology.ts), so test files can run side by side.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll } from "vitest";
import { parse } from "yaml";
import { type LabTopology, labDown, labExec, labUp } from "../../../src/lab/index.js";
import type { RunResult } from "../../../src/lab/run.js";
import {
  CANONICAL_NODES,
  type LabNodeSpec,
  type LabSlot,
  reserveLabSlot,
  slotSpec,
  topologyYaml,
} from "../../support/lab-topology.js";

export const REPO_ROOT = path.resolve(import.meta.dirname, "..", "..", "..");

/** What the generated lab inventory says (read from the file, never hard-coded). */
export interface LabFacts {
  readonly directors: readonly string[];
  readonly realServers: readonly string[];
  readonly clients: readonly string[];
  readonly vip: string;
  /** The service's first port. */
  readonly port: number;
  /** Data-plane interface per node (from the topology). */
  readonly interfaces: Readonly<Record<string, string>>;
  /** Nodes that run firewalld (ds2 in this lab). */
  readonly firewalldNodes: readonly string[];
  /** Each node's firewall (iptables, firewalld, nftables). */
  readonly firewalls: Readonly<Record<string, "iptables" | "firewalld" | "nftables">>;
  /** lvs.vrrp.order: order[0] is the preferred master. */
  readonly order: readonly string[];
  readonly vrrpOnly: boolean;
}

export interface E2eLab {
  readonly stateDir: string;
  /** The generated topology file this lab was built from. */
  readonly topologyFile: string;
  /** The lab's bridge on the machine (the data-plane LAN). */
  readonly bridge: string;
  readonly inventoryFile: string;
  readonly facts: LabFacts;
  /** Runs argv inside a lab host (nsenter, no SSH). */
  exec(node: string, argv: readonly string[], timeoutMs?: number): Promise<RunResult>;
  /** Like exec, but a non-zero exit fails the test with the command's stderr. */
  read(node: string, argv: readonly string[]): Promise<string>;
}

/** Prints one measured number in a form that is easy to grep from the test log. */
export function timing(what: string, ms: number): void {
  console.log(`[e2e timing] ${what}: ${(ms / 1000).toFixed(2)} s`);
}

function labFacts(inventoryFile: string, topology: LabTopology): LabFacts {
  type Inv = {
    hosts: Record<string, { groups?: string[] }>;
    lvs: { vrrp_only?: boolean; vrrp: { order: string[] }; services: { vip: string; ports: number[] }[] };
  };
  const inv = parse(readFileSync(inventoryFile, "utf8")) as Inv;
  const inGroup = (g: string) =>
    Object.entries(inv.hosts)
      .filter(([, h]) => h.groups?.includes(g))
      .map(([name]) => name);
  const service = inv.lvs.services[0];
  const port = service?.ports[0];
  if (!service || port === undefined) throw new Error(`${inventoryFile}: no service with a port`);
  return {
    directors: inGroup("directors"),
    realServers: inGroup("realservers"),
    clients: inGroup("clients"),
    vip: service.vip,
    port,
    interfaces: Object.fromEntries(topology.hosts.map((h) => [h.name, h.interface])),
    firewalldNodes: topology.hosts.filter((h) => h.firewalld).map((h) => h.name),
    firewalls: Object.fromEntries(topology.hosts.map((h) => [h.name, h.firewall])),
    order: inv.lvs.vrrp.order,
    vrrpOnly: inv.lvs.vrrp_only === true,
  };
}

export interface E2eLabOptions {
  /** Nodes of the lab (default: the canonical lab's ds1, ds2 with firewalld, rs3, client). */
  readonly nodes?: readonly LabNodeSpec[];
  readonly ports?: readonly number[];
}

/**
 * Registers beforeAll (lab up) and afterAll (lab down, temp dir removed) in the
 * calling file or describe block; the returned object is usable inside tests.
 */
export function useE2eLab(label: string, options: E2eLabOptions = {}): E2eLab {
  const scratch = mkdtempSync(path.join(tmpdir(), `lvsplay-e2e-${label}-`));
  const stateDir = path.join(scratch, "lab");
  const topologyFile = path.join(scratch, "lab.clab.yml");
  const fileStarted = Date.now();
  let facts: LabFacts | undefined;
  let slot: LabSlot | undefined;
  let bridge: string | undefined;

  beforeAll(async () => {
    if (process.getuid?.() !== 0) throw new Error("the e2e tests need root (network namespaces, mounts)");
    slot = reserveLabSlot();
    const spec = slotSpec(
      slot,
      options.nodes ?? CANONICAL_NODES,
      options.ports ? { ports: options.ports } : {},
    );
    writeFileSync(topologyFile, topologyYaml(spec));
    bridge = spec.bridge;
    const up = await labUp({ topologyFile, stateDir });
    if (up.outcome !== "created") throw new Error(`expected a fresh lab, got ${up.outcome}`);
    timing(`${label}: lab up`, up.durationMs);
    facts = labFacts(up.inventoryFile, up.topology);
  });

  afterAll(async () => {
    try {
      const down = await labDown({ stateDir });
      timing(`${label}: lab down`, down.durationMs);
    } finally {
      slot?.release();
      rmSync(scratch, { recursive: true, force: true });
      timing(`${label}: file wall time`, Date.now() - fileStarted);
    }
  });

  const exec = (node: string, argv: readonly string[], timeoutMs = 20_000) =>
    labExec(node, argv, { stateDir, timeoutMs });
  return {
    stateDir,
    topologyFile,
    get bridge(): string {
      if (!bridge) throw new Error("the lab is not up (beforeAll failed?)");
      return bridge;
    },
    inventoryFile: path.join(stateDir, "inventory.yaml"),
    get facts(): LabFacts {
      if (!facts) throw new Error("the lab is not up (beforeAll failed?)");
      return facts;
    },
    exec,
    async read(node, argv) {
      const r = await exec(node, argv);
      if (r.code !== 0)
        throw new Error(`${node}: ${argv.join(" ")} exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
      return r.stdout;
    },
  };
}
