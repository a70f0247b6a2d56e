// `lab up`: realise a containerlab topology as namespace hosts on one bridge.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { errorMessage } from "../util/error-message.js";
import { type HostContext, netnsName, startHost } from "./host.js";
import {
  ensureClientKey,
  INVENTORY_FILE,
  inventoryText,
  KEY_FILE,
  KNOWN_HOSTS_FILE,
  kernelHasIpvs,
  knownHostsText,
} from "./lab-files.js";
import { LabError, type LabOptions, labStatus } from "./lab-status.js";
import { configureBridge, createBridge, linkExists, machineAddresses, netnsExists } from "./net.js";
import { defaultTopologyFile, type LabState, readState, resolveStateDir, writeState } from "./state.js";
import { type LabTopology, loadTopology } from "./topology.js";

export interface LabUpOptions extends LabOptions {
  /** containerlab topology; default containerlab/lvs.clab.yml of this package. */
  readonly topologyFile?: string;
}

export interface LabUpResult {
  /** "already-up": the same topology was up and healthy; nothing was touched. */
  readonly outcome: "created" | "already-up";
  readonly stateDir: string;
  readonly inventoryFile: string;
  readonly knownHostsFile: string;
  readonly keyFile: string;
  readonly topology: LabTopology;
  readonly vrrpOnly: boolean;
  readonly durationMs: number;
}

export async function labUp(opts: LabUpOptions = {}): Promise<LabUpResult> {
  const started = Date.now();
  const stateDir = resolveStateDir(opts.stateDir);
  const topology = loadTopology(opts.topologyFile ?? defaultTopologyFile());
  const vrrpOnly = !(await kernelHasIpvs());
  const files = {
    stateDir,
    inventoryFile: path.join(stateDir, INVENTORY_FILE),
    knownHostsFile: path.join(stateDir, KNOWN_HOSTS_FILE),
    keyFile: path.join(stateDir, KEY_FILE),
  };

  const existing = readState(stateDir);
  if (existing) {
    const status = await labStatus({ stateDir });
    const healthy = status.complete && status.nodes.every((n) => n.running && n.sshd);
    if (existing.topologyHash === topology.hash && healthy)
      return { outcome: "already-up", ...files, topology, vrrpOnly, durationMs: Date.now() - started };
    const why =
      existing.topologyHash !== topology.hash
        ? `a different topology (${existing.topologyFile})`
        : "a broken or half-built lab";
    throw new LabError(`${stateDir} already holds ${why}; run \`lvsplay lab down\` first`);
  }
  await preflight(topology);

  const state: LabState = {
    version: 1,
    lab: topology.name,
    topologyFile: topology.file,
    topologyHash: topology.hash,
    createdAt: new Date().toISOString(),
    complete: false,
    bridges: [],
    hosts: {},
    files: [],
    dirs: [],
  };
  if (!existsSync(stateDir)) state.dirs.push(stateDir);
  const save = () => writeState(stateDir, state);
  save();
  try {
    const key = await ensureClientKey(stateDir);
    state.files.push(...key.created);
    save();
    for (const bridge of topology.bridges) {
      await createBridge(bridge);
      state.bridges.push(bridge.name);
      save();
      await configureBridge(bridge);
    }
    const hostsDir = path.join(stateDir, "hosts");
    if (!existsSync(hostsDir)) {
      mkdirSync(hostsDir);
      state.dirs.push(hostsDir);
    }
    const started = topology.hosts.map((host) => {
      const record = {
        netns: netnsName(topology.name, host.name),
        netnsCreated: false,
        address: host.address,
        mounts: [],
        dir: path.join(hostsDir, host.name),
      };
      state.hosts[host.name] = record;
      state.dirs.push(record.dir);
      save();
      const ctx: HostContext = { record, save, authorizedKey: key.publicKey };
      return startHost(host, ctx).then((r) => ({ address: host.address, hostKey: r.hostKey }));
    });
    // Wait for every host, even when one fails, so the record is final before we report.
    const settled = await Promise.allSettled(started);
    const failed = settled.find((s) => s.status === "rejected");
    if (failed) throw failed.reason;
    const keys = settled.map(
      (s) => (s as PromiseFulfilledResult<{ address: string; hostKey: string }>).value,
    );
    writeFileSync(files.knownHostsFile, knownHostsText(keys));
    writeFileSync(files.inventoryFile, inventoryText(topology, vrrpOnly));
    state.files.push(files.knownHostsFile, files.inventoryFile);
    state.complete = true;
    save();
  } catch (error) {
    save();
    const message = errorMessage(error);
    throw new LabError(
      `lab up failed: ${message}\nthe half-built lab is recorded in ${stateDir}; run \`lvsplay lab down\` to remove it`,
    );
  }
  return { outcome: "created", ...files, topology, vrrpOnly, durationMs: Date.now() - started };
}

/** Refuse to touch anything that already exists: it is not ours to configure or delete. */
async function preflight(topology: LabTopology): Promise<void> {
  const problems: string[] = [];
  for (const bridge of topology.bridges)
    if (linkExists(bridge.name)) problems.push(`link ${bridge.name} exists`);
  for (const host of topology.hosts) {
    const netns = netnsName(topology.name, host.name);
    if (netnsExists(netns)) problems.push(`network namespace ${netns} exists`);
    if (linkExists(host.bridgePort)) problems.push(`link ${host.bridgePort} exists`);
  }
  const inUse = await machineAddresses();
  const wanted = [
    ...topology.bridges.map((b) => b.address?.split("/")[0]),
    ...topology.hosts.map((h) => h.address),
  ];
  for (const address of wanted)
    if (address && inUse.has(address)) problems.push(`address ${address} is in use on this machine`);
  if (problems.length > 0)
    throw new LabError(
      `cannot bring the lab up: ${problems.join("; ")} (another lab? try \`lvsplay lab down\` with its --state-dir)`,
    );
}
