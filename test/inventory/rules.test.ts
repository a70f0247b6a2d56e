import { describe, expect, it } from "vitest";
import { parseInventory } from "../../src/inventory/load.js";
import { problemLines, yaml } from "../config/problem-lines.js";

const parse = (source: string) => problemLines(() => parseInventory(source, "inv.yaml"));

// Lines 1-6: three hosts; ds1 and ds2 are co-located directors + real servers.
const HOSTS = [
  "hosts:",
  "  ds1: { address: 7.7.7.11, groups: [directors, realservers] }",
  "  ds2: { address: 7.7.7.12, groups: [directors, realservers] }",
  "  rs3: { address: 7.7.7.13, groups: [realservers] }",
];
const lvs = (vrrp: string[], services: string[], extra: string[] = []) =>
  yaml(
    ...HOSTS,
    "lvs:",
    ...extra,
    "  vrrp:",
    "    virtual_router_id: 51",
    ...vrrp,
    "  services:",
    ...services,
  );
const WEB = ["    - name: web", "      vip: 7.7.7.100", "      port: 80"];

describe("inventory semantic rules", () => {
  it("accepts the co-located layout with allow_looping_layout (the warning is emitted elsewhere)", () => {
    const inv = parseInventory(
      lvs(["    order: [ds1, ds2]"], WEB, ["  allow_looping_layout: true"]),
      "inv.yaml",
    );
    expect(inv.lvs?.allowLoopingLayout).toBe(true);
  });

  it("needs a director when lvs is present", () => {
    const source = yaml(
      "hosts:",
      "  rs3: { address: 7.7.7.13, groups: [realservers] }",
      "lvs:",
      "  vrrp: { virtual_router_id: 51, order: [rs3] }",
      "  services: [{ name: web, vip: 7.7.7.100, port: 80 }]",
    );
    expect(parse(source)).toEqual([
      'inv.yaml:3:1: lvs: an lvs section needs at least one host in group "directors"',
    ]);
  });

  it("accepts a director without any realservers group", () => {
    const source = yaml(
      "hosts:",
      "  ds1: { address: 7.7.7.11, groups: [directors] }",
      "lvs:",
      "  vrrp: { virtual_router_id: 51, order: [ds1] }",
      "  services: [{ name: web, vip: 7.7.7.100, port: 80 }]",
    );
    expect(parseInventory(source, "inv.yaml").groups["realservers"]).toEqual([]);
  });

  it("requires exactly one of vrrp order and priorities", () => {
    expect(parse(lvs([], WEB))).toEqual([
      "inv.yaml:6:3: lvs.vrrp: expected exactly one of order (list of directors) or priorities (director: priority)",
    ]);
    expect(parse(lvs(["    order: [ds1, ds2]", "    priorities: { ds1: 150, ds2: 100 }"], WEB))).toEqual([
      "inv.yaml:6:3: lvs.vrrp: expected exactly one of order (list of directors) or priorities (director: priority)",
    ]);
  });

  it("vrrp order names only directors and covers all of them", () => {
    expect(parse(lvs(["    order: [ds1, rs3]"], WEB))).toEqual([
      "inv.yaml:8:5: lvs.vrrp.order: must name every director; missing: ds2",
      "inv.yaml:8:18: lvs.vrrp.order[1]: rs3 is not in group directors",
    ]);
    expect(parse(lvs(["    order: [ds1, ds2, ds1, nope]"], WEB))).toEqual([
      "inv.yaml:8:23: lvs.vrrp.order[2]: ds1 is listed twice",
      "inv.yaml:8:28: lvs.vrrp.order[3]: nope is not a host of this inventory",
    ]);
  });

  it("vrrp priorities name only directors (pointing at the key) and cover all of them", () => {
    expect(parse(lvs(["    priorities:", "      ds1: 150", "      rs3: 100"], WEB))).toEqual([
      "inv.yaml:8:5: lvs.vrrp.priorities: must name every director; missing: ds2",
      "inv.yaml:10:7: lvs.vrrp.priorities.rs3: rs3 is not in group directors",
    ]);
  });

  it("fwmarks name directors only; weights name existing hosts", () => {
    const services = [...WEB, "      fwmarks: { ds1: 3, rs3: 4 }", "      weights: { rs3: 2, rs9: 1 }"];
    expect(parse(lvs(["    order: [ds1, ds2]"], services))).toEqual([
      "inv.yaml:13:26: lvs.services[0].fwmarks.rs3: rs3 is not in group directors",
      "inv.yaml:14:26: lvs.services[0].weights.rs9: rs9 is not a host of this inventory",
    ]);
  });

  it("a director cannot pin the same fwmark for two services", () => {
    const services = [
      ...WEB,
      "      fwmarks: { ds1: 3 }",
      "    - name: tls",
      "      vip: 7.7.7.100",
      "      port: 443",
      "      fwmarks: { ds1: 3 }",
    ];
    expect(parse(lvs(["    order: [ds1, ds2]"], services))).toEqual([
      "inv.yaml:17:23: lvs.services[1].fwmarks.ds1: fwmark 3 on ds1 is already pinned by service web",
    ]);
  });

  it("rejects two services on the same vip, protocol and port, and duplicate service names", () => {
    const services = [...WEB, "    - name: web", "      vip: 7.7.7.100", "      ports: [443, 80]"];
    expect(parse(lvs(["    order: [ds1, ds2]"], services))).toEqual([
      "inv.yaml:13:13: lvs.services[1].name: service name web is already used by services[0]",
      "inv.yaml:15:20: lvs.services[1].ports[1]: 7.7.7.100:80/tcp is already served by service web",
    ]);
    const twice = ["    - name: web", "      vip: 7.7.7.100", "      ports: [80, 80]"];
    expect(parse(lvs(["    order: [ds1, ds2]"], twice))).toEqual([
      "inv.yaml:12:19: lvs.services[0].ports[1]: port 80 is listed twice",
    ]);
    // Same port on another protocol is a different service.
    const udp = [...WEB, "    - name: dns", "      vip: 7.7.7.100", "      protocol: udp", "      port: 80"];
    expect(() => parseInventory(lvs(["    order: [ds1, ds2]"], udp), "inv.yaml")).not.toThrow();
  });

  it("refuses an http check of a UDP service's own port (it could never pass)", () => {
    const dns = [
      "    - name: dns",
      "      vip: 7.7.7.100",
      "      protocol: udp",
      "      port: 53",
      "      health_check: { kind: http }",
    ];
    const problems = parse(lvs(["    order: [ds1, ds2]"], dns));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /lvs\.services\[0\]\.health_check\.kind: an http check cannot probe the UDP port 53/,
    );
    const healthPort = [...dns.slice(0, 4), "      health_check: { kind: http, port: 8080 }"];
    expect(() => parseInventory(lvs(["    order: [ds1, ds2]"], healthPort), "inv.yaml")).not.toThrow();
  });

  it("requires exactly one of port and ports", () => {
    const services = ["    - name: web", "      vip: 7.7.7.100", "      port: 80", "      ports: [81]"];
    expect(parse(lvs(["    order: [ds1, ds2]"], services))).toEqual([
      "inv.yaml:10:7: lvs.services[0]: expected exactly one of port (a number) or ports (a list)",
    ]);
  });

  it("a VIP must not be a host address", () => {
    const services = ["    - name: web", "      vip: 7.7.7.13", "      port: 80"];
    expect(parse(lvs(["    order: [ds1, ds2]"], services))).toEqual([
      "inv.yaml:11:12: lvs.services[0].vip: VIP 7.7.7.13 is the address of host rs3; a VIP must be a separate address",
    ]);
  });

  it("a VIP must not be another host's data_address either", () => {
    const source = yaml(
      "hosts:",
      "  ds1: { address: 10.0.0.11, data_address: 7.7.7.11, groups: [directors, realservers] }",
      "lvs:",
      "  vrrp: { virtual_router_id: 51, order: [ds1] }",
      "  services: [{ name: web, vip: 7.7.7.11, port: 80 }]",
    );
    expect(parse(source)).toEqual([
      "inv.yaml:5:32: lvs.services[0].vip: VIP 7.7.7.11 is the data_address of host ds1; a VIP must be a separate address",
    ]);
  });

  it("a group one edit away from a role, without a definition, is a typo with a suggestion", () => {
    const source = yaml(
      "groups:",
      "  webs: {}",
      "hosts:",
      "  rs3: { address: 7.7.7.13, groups: [realserver] }",
      "  rs4: { address: 7.7.7.14, groups: [Directors, client, webs, old-directors] }",
    );
    const hint =
      "(a host outside the role is silently left out of the pool; define the group to keep this name)";
    expect(parse(source)).toEqual([
      `inv.yaml:4:38: hosts.rs3.groups[0]: group realserver is not a role and has no definition under groups:; did you mean "realservers"? ${hint}`,
      `inv.yaml:5:38: hosts.rs4.groups[0]: group Directors is not a role and has no definition under groups:; did you mean "directors"? ${hint}`,
      `inv.yaml:5:49: hosts.rs4.groups[1]: group client is not a role and has no definition under groups:; did you mean "clients"? ${hint}`,
    ]);
    // Defined, it is the user's own group.
    const defined = yaml(
      "groups:",
      "  realserver: {}",
      "hosts:",
      "  rs3: { address: 7.7.7.13, groups: [realserver] }",
    );
    expect(() => parseInventory(defined, "inv.yaml")).not.toThrow();
  });

  it("jump must name an existing host", () => {
    expect(parse(yaml("hosts:", "  ds1: { address: 7.7.7.11, jump: bastion }"))).toEqual([
      "inv.yaml:2:35: hosts.ds1.jump: jump host bastion is not a host of this inventory",
    ]);
  });

  it("rejects jump cycles once per cycle", () => {
    const source = yaml(
      "hosts:",
      "  a: { address: 7.7.7.1, jump: b }",
      "  b: { address: 7.7.7.2, jump: c }",
      "  c: { address: 7.7.7.3, jump: a }",
      "  d: { address: 7.7.7.4, jump: d }",
      "  e: { address: 7.7.7.5, jump: a }",
    );
    expect(parse(source)).toEqual([
      "inv.yaml:2:32: hosts.a.jump: jump cycle: a → b → c → a",
      "inv.yaml:5:32: hosts.d.jump: jump cycle: d → d",
    ]);
  });

  it("rejects duplicate address:port, using the default port", () => {
    const source = yaml(
      "defaults: { port: 2222 }",
      "hosts:",
      "  a: { address: 7.7.7.1 }",
      "  b: { address: 7.7.7.1, port: 2222 }",
      "  c: { address: 7.7.7.1, port: 22 }",
    );
    expect(parse(source)).toEqual(["inv.yaml:4:17: hosts.b.address: 7.7.7.1:2222 is already used by host a"]);
  });

  it("keeps group and host names apart, and reserves all", () => {
    const source = yaml("groups:", "  ds1: {}", "hosts:", "  ds1: { address: 7.7.7.11, groups: [web, all] }");
    expect(parse(source)).toEqual([
      "inv.yaml:2:3: groups.ds1: group ds1 has the same name as a host",
      'inv.yaml:4:43: hosts.ds1.groups[1]: "all" is reserved and cannot be a group',
    ]);
  });

  it("connection_sync: refused with vrrp_only or unicast VRRP, and with pinned fwmarks that differ", () => {
    const sync = ["  connection_sync: true"];
    expect(parse(lvs(["    order: [ds1, ds2]"], WEB, [...sync, "  vrrp_only: true"]))).toEqual([
      "inv.yaml:6:20: lvs.connection_sync: connection_sync synchronises IPVS connections, and vrrp_only means there is no IPVS",
    ]);
    expect(parse(lvs(["    order: [ds1, ds2]", "    unicast: true"], WEB, sync))).toEqual([
      "inv.yaml:6:20: lvs.connection_sync: IPVS sync messages are multicast (224.0.0.81, UDP 8848, on the data interface); vrrp.unicast says the directors cannot reach each other by multicast",
    ]);
    const pinned = [...WEB, "      fwmarks: { ds1: 3, ds2: 4 }"];
    expect(parse(lvs(["    order: [ds1, ds2]"], pinned, sync))).toEqual([
      "inv.yaml:14:7: lvs.services[0].fwmarks: with connection_sync every director uses one fwmark per service (sync messages carry the master's); pinned ds1: 3, ds2: 4",
    ]);
    const ok = parseInventory(
      lvs(["    order: [ds1, ds2]"], [...WEB, "      fwmarks: { ds1: 3, ds2: 3 }"], sync),
      "inv.yaml",
    );
    expect(ok.lvs?.connectionSync).toBe(true);
    expect(ok.lvs?.connectionSyncMaxlen).toBeUndefined();
  });

  it("connection_sync_maxlen: only with connection_sync, 1-1472 bytes", () => {
    const order = ["    order: [ds1, ds2]"];
    expect(parse(lvs(order, WEB, ["  connection_sync_maxlen: 64"]))).toEqual([
      "inv.yaml:6:3: lvs.connection_sync_maxlen: connection_sync_maxlen sizes IPVS sync messages, and connection_sync is off (set connection_sync: true or remove it)",
    ]);
    expect(parse(lvs(order, WEB, ["  connection_sync: true", "  connection_sync_maxlen: 0"]))[0]).toMatch(
      /^inv\.yaml:7:27: lvs\.connection_sync_maxlen: .*1/,
    );
    expect(parse(lvs(order, WEB, ["  connection_sync: true", "  connection_sync_maxlen: 1473"]))[0]).toMatch(
      /^inv\.yaml:7:27: lvs\.connection_sync_maxlen: .*1472/,
    );
    const ok = parseInventory(
      lvs(order, WEB, ["  connection_sync: true", "  connection_sync_maxlen: 64"]),
      "inv.yaml",
    );
    expect(ok.lvs?.connectionSyncMaxlen).toBe(64);
  });

  it("timeout_scale multiplies command limits per host (defaults, host override), 1-100", () => {
    const source = yaml(
      "defaults: { timeout_scale: 5 }",
      "hosts:",
      "  a: { address: 127.0.0.2 }",
      "  b: { address: 127.0.0.3, timeout_scale: 20 }",
    );
    const inv = parseInventory(source, "inv.yaml");
    expect(inv.hosts.map((h) => h.connection.timeoutScale)).toEqual([5, 20]);
    expect(parse(yaml("hosts:", "  a: { address: 127.0.0.2, timeout_scale: 0 }"))).toEqual([
      expect.stringMatching(/^inv\.yaml:2:43: hosts\.a\.timeout_scale: expected an integer 1-100/),
    ]);
  });
});
