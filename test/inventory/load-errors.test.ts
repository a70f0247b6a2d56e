import { describe, expect, it } from "vitest";
import { VRRP_PASSWORD } from "../../src/config/charsets.js";
import { loadInventory, parseInventory } from "../../src/inventory/load.js";
import { problemLines, yaml } from "../config/problem-lines.js";

const FIXTURES = "test/fixtures/inventory";
const IFACE =
  'expected an interface name (letters, digits, ".", "_", "-", starting with a letter or digit, 1-15 characters)';
const parse = (source: string) => problemLines(() => parseInventory(source, "inventory.yaml"));

describe("inventory schema errors", () => {
  it("points at a misspelt key and suggests the right one", () => {
    expect(problemLines(() => loadInventory(`${FIXTURES}/typo.yaml`))).toEqual([
      `${FIXTURES}/typo.yaml:4:5: hosts.ds1.adress: unknown key "adress"; did you mean "address"?`,
    ]);
  });

  it("lists the allowed keys when nothing is close", () => {
    expect(parse(yaml("hosts:", "  ds1: { address: 1.2.3.4 }", "colour: blue"))).toEqual([
      'inventory.yaml:3:1: colour: unknown key "colour"; expected one of: ssh_config, defaults, vars, groups, hosts, lvs',
    ]);
  });

  it("reports a wrong type with what was expected and found", () => {
    expect(parse(yaml("hosts:", "  ds1:", "    address: 7.7.7.11", "    port: abc"))).toEqual([
      'inventory.yaml:4:11: hosts.ds1.port: expected an integer 1-65535, found "abc"',
    ]);
  });

  it("reports a missing required key at the map that lacks it", () => {
    expect(
      parse(
        yaml(
          "hosts:",
          "  ds1: { groups: [directors] }",
          "lvs:",
          "  vrrp: { order: [ds1] }",
          "  services: []",
        ),
      ),
    ).toEqual([
      "inventory.yaml:4:3: lvs.vrrp.virtual_router_id: missing required key (expected an integer 1-255)",
      "inventory.yaml:5:3: lvs.services: expected at least one service, found []",
    ]);
    expect(parse(yaml("vars: {}"))).toEqual([
      "inventory.yaml:1:1: hosts: missing required key (expected a mapping)",
    ]);
  });

  it("rejects a bad IPv4 address", () => {
    expect(parse(yaml("hosts:", "  ds1: { address: 10.0.0.256 }"))).toEqual([
      'inventory.yaml:2:19: hosts.ds1.address: expected an IPv4 address like 192.0.2.10 (four decimal numbers 0-255 separated by dots, no leading zeros): not a dotted quad of numbers 0-255, found "10.0.0.256"',
    ]);
  });

  it("rejects interface names with a slash, whitespace, keepalived syntax or more than 15 characters", () => {
    const host = (iface: string) =>
      yaml("hosts:", "  ds1:", "    address: 7.7.7.11", `    interface: ${iface}`);
    const expected = (why: string, found: string) =>
      `inventory.yaml:4:16: hosts.ds1.interface: %s: ${why}, found ${found}`.replace("%s", IFACE);
    expect(parse(host("eth0/1"))).toEqual([expected('"/" is not allowed', '"eth0/1"')]);
    expect(parse(host('"eth 0"'))).toEqual([expected('" " is not allowed', '"eth 0"')]);
    expect(parse(host('"eth}"'))).toEqual([expected('"}" is not allowed', '"eth}"')]);
    expect(parse(host('"-eth0"'))).toEqual([expected('it cannot start with "-"', '"-eth0"')]);
    expect(parse(host("a234567890123456"))).toEqual([
      expected("it is 16 characters long, the limit is 15", '"a234567890123456"'),
    ]);
    expect(() => parseInventory(host("br-lan.100"), "inventory.yaml")).not.toThrow();
  });

  it("rejects host names that could be shell syntax, at the key", () => {
    expect(parse(yaml("hosts:", "  ds1;reboot: { address: 7.7.7.11 }"))).toEqual([
      'inventory.yaml:2:3: hosts.ds1;reboot: invalid name: expected a name (letters, digits, ".", "_", "-", starting with a letter or digit, 1-64 characters): ";" is not allowed, found "ds1;reboot"',
    ]);
  });

  it("reports YAML syntax errors with their position", () => {
    expect(parse(yaml("hosts:", "  ds1: [address: 1.2.3.4", "lvs: {}"))).toEqual([
      "inventory.yaml:3:1: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]",
    ]);
  });

  it("reports duplicate keys at the second occurrence", () => {
    expect(parse(yaml("hosts:", "  ds1: { address: 7.7.7.11 }", "  ds1: { address: 7.7.7.12 }"))).toEqual([
      'inventory.yaml:3:3: duplicate key "ds1" (each key may appear only once in a mapping)',
    ]);
  });

  it("reports an empty file", () => {
    expect(parse("")).toEqual(["inventory.yaml:1:1: expected a mapping, found null"]);
  });

  it("reports a missing file as a positioned problem", () => {
    expect(problemLines(() => loadInventory(`${FIXTURES}/does-not-exist.yaml`))).toEqual([
      `${FIXTURES}/does-not-exist.yaml:1:1: cannot read file: file not found`,
    ]);
  });

  it("reports several errors at once, sorted by position", () => {
    const file = `${FIXTURES}/several-errors.yaml`;
    expect(problemLines(() => loadInventory(file))).toEqual(
      [
        '2:3: defaults.usr: unknown key "usr"; did you mean "user"?',
        '7:11: hosts.ds1.port: expected an integer 1-65535, found "abc"',
        `9:16: hosts.ds1.interface: ${IFACE}: "/" is not allowed, found "eth1/bad"`,
        '11:14: hosts.ds2.address: expected an IPv4 address or a host name (letters, digits, ".", "_", "-", starting with a letter or digit, 1-253 characters; only digits and dots means an IPv4 address): " " is not allowed, found "lb 2"',
        '15:14: hosts.rs3.address: expected an IPv4 address like 192.0.2.10 (four decimal numbers 0-255 separated by dots, no leading zeros): not a dotted quad of numbers 0-255, found "7.7.7.300"',
        '16:12: hosts.rs3.agent: expected a boolean (true or false), found "yes"',
        "19:24: lvs.vrrp.virtual_router_id: expected an integer 1-255, found 300",
        '24:7: lvs.services[0].protocl: unknown key "protocl"; did you mean "protocol"?',
        '26:18: lvs.services[0].scheduler: expected one of: rr, wrr, lc, wlc, lblc, lblcr, dh, sh, sed, nq, fo, ovf, mh, found "fastest"',
        '27:19: lvs.services[0].forwarding: expected "dr": only direct routing is supported (no NAT or tunnelling), found "nat"',
        '28:29: lvs.services[0].health_check.kind: expected one of: tcp, http, found "icmp"',
      ].map((line) => `${file}:${line}`),
    );
  });

  it("truncates long found values", () => {
    const lines = parse(yaml("hosts:", "  ds1:", "    address: 7.7.7.11", `    port: ${"9".repeat(60)}x`));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^inventory\.yaml:4:11: hosts\.ds1\.port: expected an integer 1-65535, found "9{38}…$/,
    );
  });

  it("limits a VRRP PASS password to 8 characters without echoing it", () => {
    const source = yaml(
      "hosts:",
      "  ds1: { address: 7.7.7.11, groups: [directors] }",
      "lvs:",
      "  vrrp:",
      "    virtual_router_id: 51",
      "    order: [ds1]",
      "    auth: { type: PASS, password: toolongpassword }",
      "  services: [{ name: web, vip: 7.7.7.100, port: 80 }]",
    );
    expect(parse(source)).toEqual([
      `inventory.yaml:7:35: lvs.vrrp.auth.password: expected a VRRP password (${VRRP_PASSWORD.rule}): it is 15 characters long, the limit is 8, found a hidden value of 15 characters`,
    ]);
  });
});
