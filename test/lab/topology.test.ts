import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { inventoryText } from "../../src/lab/lab-files.js";
import { loadTopology, parseTopology, TopologyError } from "../../src/lab/topology.js";

const topologyFile = path.resolve(import.meta.dirname, "..", "..", "containerlab", "lvs.clab.yml");
const source = readFileSync(topologyFile, "utf8");

describe("parseTopology", () => {
  const topo = loadTopology(topologyFile);

  it("reads the seed's architecture with fixed addresses and MACs", () => {
    expect(topo.name).toBe("lvs");
    expect(topo.bridges).toEqual([{ name: "lvslan", address: "7.7.7.1/24", mac: "02:00:07:07:07:01" }]);
    const summary = topo.hosts.map((h) => [
      h.name,
      h.address,
      h.prefixLength,
      h.mac,
      h.interface,
      h.bridgePort,
    ]);
    expect(summary).toEqual([
      ["ds1", "7.7.7.11", 24, "02:00:07:07:07:11", "eth1", "p-ds1"],
      ["ds2", "7.7.7.12", 24, "02:00:07:07:07:12", "eth1", "p-ds2"],
      ["rs3", "7.7.7.13", 24, "02:00:07:07:07:13", "eth1", "p-rs3"],
      ["client", "7.7.7.50", 24, "02:00:07:07:07:50", "eth1", "p-client"],
    ]);
    expect(topo.hosts.map((h) => h.groups)).toEqual([
      ["directors", "realservers"],
      ["directors", "realservers"],
      ["realservers"],
      ["clients"],
    ]);
    expect(topo.hosts.filter((h) => h.firewalld).map((h) => h.name)).toEqual(["ds2"]);
    expect(topo.hosts.every((h) => h.image === "lvsplay/node:debian12")).toBe(true);
    expect(topo.service).toEqual({ vip: "7.7.7.100", ports: [80], vrid: 51 });
  });

  it("generates the lvsplay inventory with exactly the agreed keys", () => {
    const inventory = parse(inventoryText(topo, true));
    expect(inventory).toEqual({
      defaults: { user: "root", identity: "./id_ed25519", known_hosts: "./known_hosts", connect_timeout: 10 },
      hosts: {
        ds1: { address: "7.7.7.11", groups: ["directors", "realservers"], interface: "eth1" },
        ds2: { address: "7.7.7.12", groups: ["directors", "realservers"], interface: "eth1" },
        rs3: { address: "7.7.7.13", groups: ["realservers"] },
        client: { address: "7.7.7.50", groups: ["clients"] },
      },
      lvs: {
        persistence: "auto",
        vrrp_only: true,
        vrrp: { virtual_router_id: 51, order: ["ds1", "ds2"], advert_int: 1 },
        services: [
          {
            name: "web",
            vip: "7.7.7.100",
            protocol: "tcp",
            ports: [80],
            scheduler: "rr",
            forwarding: "dr",
            health_check: { kind: "tcp", connect_timeout: 3, delay_loop: 5, retry: 2 },
          },
        ],
      },
    });
    expect(parse(inventoryText(topo, false)).lvs.vrrp_only).toBe(false);
  });

  it("the hash tells one topology from another", () => {
    expect(parseTopology(source, topologyFile).hash).toBe(topo.hash);
    expect(parseTopology(`${source}\n# changed\n`, topologyFile).hash).not.toBe(topo.hash);
  });

  it("refuses what the namespace realiser cannot honour", () => {
    const bad = (from: string, to: string) => () => parseTopology(source.replace(from, to), "x.yml");
    expect(bad("kind: linux\n      labels:\n        lvsplay.groups: clients", "kind: ceos")).toThrow(
      TopologyError,
    );
    expect(bad('mac: "02:00:07:07:07:13", ', "")).toThrow(/needs mac and ipv4/);
    expect(bad("./id_ed25519.pub:/root/.ssh/authorized_keys:ro", "/etc:/etc")).toThrow(/not supported/);
    expect(bad("{ node: lvslan, interface: p-rs3 }", "{ node: ds1, interface: eth2 }")).toThrow(
      /linux↔bridge/,
    );
    expect(() => parseTopology("name: x\ntopology: {}\n", "x.yml")).toThrow(/topology.nodes/);
    expect(() => parseTopology("name: x\nname: y\n", "x.yml")).toThrow(TopologyError);
  });
});

describe("containerlab/inventory.yaml", () => {
  it("is the generated inventory with real IPVS (vrrp_only: false)", () => {
    const committed = parse(readFileSync(path.join(path.dirname(topologyFile), "inventory.yaml"), "utf8"));
    expect(committed).toEqual(parse(inventoryText(loadTopology(topologyFile), false)));
    expect(committed.lvs.vrrp_only).toBe(false);
  });
});
