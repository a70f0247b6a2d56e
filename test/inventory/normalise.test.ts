import { homedir } from "node:os";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { Secret } from "../../src/config/secret.js";
import { loadInventory, parseInventory } from "../../src/inventory/load.js";
import { prioritiesFromOrder } from "../../src/inventory/normalise.js";
import type { SecretSources } from "../../src/inventory/secrets.js";
import { yaml } from "../config/problem-lines.js";

const FIXTURE = "test/fixtures/inventory/full.yaml";
const FOLDER = resolve("test/fixtures/inventory");

/** The environment the fixture's sudo password comes from (read once at load). */
const SOURCES: SecretSources = {
  env: { LVSPLAY_SUDO_PASSWORD: "sudo-pw" },
  readFile: () => {
    throw new Error("no files here");
  },
  uid: 0,
};

describe("inventory normalisation", () => {
  // No ssh_config: this machine's ~/.ssh/config must not change what the fixture means.
  const inv = loadInventory(FIXTURE, { sshConfig: { kind: "none" }, secretSources: SOURCES });
  const host = (name: string) => {
    const found = inv.hosts.find((h) => h.name === name);
    if (!found) throw new Error(`no host ${name}`);
    return found;
  };

  it("keeps the absolute file path and hosts in inventory order", () => {
    expect(inv.file).toBe(resolve(FIXTURE));
    expect(inv.hosts.map((h) => h.name)).toEqual(["bastion", "ds1", "ds2", "rs3", "client"]);
  });

  it("merges defaults into each host connection and resolves paths", () => {
    expect(host("ds1").connection).toEqual({
      address: "7.7.7.11",
      port: 22,
      user: "admin",
      identityFiles: [`${FOLDER}/keys/id_ed25519`],
      jump: "bastion",
      knownHostsFiles: [`${homedir()}/.ssh/lab_known_hosts`],
      become: { enabled: true, passwordEnv: "LVSPLAY_SUDO_PASSWORD", password: expect.any(Secret) },
      connectTimeoutSec: 5,
      timeoutScale: 1,
    });
    expect(host("ds1").connection.become.password?.reveal()).toBe("sudo-pw");
    expect(host("ds2").connection).toMatchObject({
      port: 2222,
      user: "root",
      identityFiles: ["/etc/lvsplay/key"],
    });
    // become merges field by field: the host disables it, the password variable stays (and is not read).
    expect(host("bastion").connection.become).toEqual({
      enabled: false,
      passwordEnv: "LVSPLAY_SUDO_PASSWORD",
    });
    expect(host("bastion").connection.agent).toBe(true);
    expect(host("ds1").interface).toBe("eth1");
    expect("interface" in host("rs3")).toBe(false);
  });

  it("layers vars: inventory < groups < host", () => {
    expect(host("ds1").vars).toEqual({ pkg: "keepalived", level: "host", role: "ds" });
    expect(host("ds2").vars).toEqual({ pkg: "keepalived", level: "directors", role: "ds" });
    expect(host("rs3").vars).toEqual({ pkg: "keepalived", level: "inventory" });
    expect(inv.vars).toEqual({ pkg: "keepalived", level: "inventory" });
  });

  it("lists groups with roles always present and members in inventory order", () => {
    expect(inv.groups).toEqual({
      directors: ["ds1", "ds2"],
      realservers: ["ds1", "ds2", "rs3"],
      clients: ["client"],
      web: ["ds1"],
    });
    expect(host("ds1").groups).toEqual(["directors", "realservers", "web"]);
  });

  it("normalises the lvs section with defaults filled in", () => {
    expect(inv.lvs).toEqual({
      persistence: "iptables",
      keepalived: {
        configPath: "/etc/keepalived/keepalived.conf",
        ownPath: "/etc/keepalived/lvsplay.conf",
        adopt: false,
      },
      vrrpOnly: false,
      allowLoopingLayout: false,
      connectionSync: false,
      vrrp: {
        virtualRouterId: 51,
        order: ["ds1", "ds2"],
        priorities: { ds1: 150, ds2: 100 },
        advertIntSec: 1,
        auth: { type: "PASS", password: expect.any(Secret) },
        unicast: true,
        nopreempt: false,
        hooks: { notify: {}, trackInterfaces: [], trackScripts: [] },
        hooksByDirector: {},
      },
      services: [
        {
          name: "web",
          vip: "7.7.7.100",
          protocol: "tcp",
          ports: [80, 443],
          scheduler: "wrr",
          forwarding: "dr",
          persistenceTimeoutSec: 300,
          healthCheck: { kind: "tcp", connectTimeoutSec: 3, delayLoopSec: 5, retry: 2 },
          checkPort: 80,
          fwmarks: { ds1: 3 },
          weights: { rs3: 2 },
        },
        {
          name: "dns",
          vip: "7.7.7.100",
          protocol: "udp",
          ports: [53],
          scheduler: "rr",
          forwarding: "dr",
          healthCheck: {
            kind: "http",
            path: "/health",
            statusCode: 204,
            connectTimeoutSec: 3,
            delayLoopSec: 5,
            retry: 4,
          },
          checkPort: 8080,
          fwmarks: {},
          weights: {},
        },
      ],
    });
  });

  it("fills connection defaults when the inventory gives none", () => {
    const minimal = parseInventory(yaml("hosts:", "  a: { address: 127.0.0.2 }"), "/tmp/inv/minimal.yaml", {
      sshConfig: { kind: "none" },
    });
    const ssh = `${homedir()}/.ssh`;
    expect(minimal.hosts[0]?.connection).toEqual({
      address: "127.0.0.2",
      port: 22,
      user: "root",
      // OpenSSH's defaults: its default key files (missing ones are skipped when connecting),
      // both known_hosts files, and the agent when SSH_AUTH_SOCK is set (agent left undefined).
      identityFiles: ["id_rsa", "id_ecdsa", "id_ecdsa_sk", "id_ed25519", "id_ed25519_sk", "id_dsa"].map(
        (f) => `${ssh}/${f}`,
      ),
      knownHostsFiles: [`${ssh}/known_hosts`, `${ssh}/known_hosts2`],
      become: { enabled: false },
      connectTimeoutSec: 10,
      timeoutScale: 1,
    });
    expect(minimal.groups).toEqual({ directors: [], realservers: [], clients: [] });
    expect(minimal.lvs).toBeUndefined();
  });

  it("derives the order from priorities, highest first", () => {
    const source = yaml(
      "hosts:",
      "  ds1: { address: 7.7.7.11, groups: [directors] }",
      "  ds2: { address: 7.7.7.12, groups: [directors] }",
      "  ds3: { address: 7.7.7.13, groups: [directors] }",
      "lvs:",
      "  vrrp: { virtual_router_id: 7, priorities: { ds1: 90, ds2: 200, ds3: 90 }, advert_int: 3 }",
      "  services: [{ name: web, vip: 7.7.7.100, port: 80, persistence_timeout: 0 }]",
    );
    const lvs = parseInventory(source, "inv.yaml").lvs;
    expect(lvs?.vrrp.order).toEqual(["ds2", "ds1", "ds3"]);
    expect(lvs?.vrrp.priorities).toEqual({ ds1: 90, ds2: 200, ds3: 90 });
    expect(lvs?.vrrp.advertIntSec).toBe(3);
    expect(lvs?.persistence).toBe("auto");
    // persistence_timeout 0 means no persistence
    expect(lvs?.services[0] && "persistenceTimeoutSec" in lvs.services[0]).toBe(false);
    expect(lvs?.services[0]?.healthCheck).toEqual({
      kind: "tcp",
      connectTimeoutSec: 3,
      delayLoopSec: 5,
      retry: 2,
    });
  });

  it("derives descending priorities from an order, staying within 1-254", () => {
    expect(prioritiesFromOrder(["a"])).toEqual({ a: 100 });
    expect(prioritiesFromOrder(["a", "b", "c"])).toEqual({ a: 200, b: 150, c: 100 });
    const many = prioritiesFromOrder(["a", "b", "c", "d", "e", "f"]);
    const values = Object.values(many);
    expect(Math.max(...values)).toBeLessThanOrEqual(254);
    expect(values).toEqual([...values].sort((x, y) => y - x));
    expect(new Set(values).size).toBe(6);
  });
});
