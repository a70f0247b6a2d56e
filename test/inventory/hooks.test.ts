// Failover hooks in the inventory: validated like the rest (positions, strict
// character sets, ranges), merged per director.
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config/problem.js";
import { parseInventory } from "../../src/inventory/load.js";
import type { Inventory } from "../../src/inventory/model.js";
import { hooksFor } from "../../src/lvs/keepalived/hooks.js";

const inventory = (vrrpExtra: string[]) =>
  [
    "hosts:",
    "  ds1: { address: 192.0.2.11, groups: [directors] }",
    "  ds2: { address: 192.0.2.12, groups: [directors] }",
    "  rs3: { address: 192.0.2.13, groups: [realservers] }",
    "lvs:",
    "  vrrp:",
    "    virtual_router_id: 51",
    "    order: [ds1, ds2]",
    ...vrrpExtra.map((l) => `    ${l}`),
    "  services: [{ name: web, vip: 192.0.2.100, port: 80 }]",
    "",
  ].join("\n");

const load = (text: string): Inventory => parseInventory(text, "inv.yaml", { sshConfig: { kind: "none" } });

function problems(text: string): string[] {
  try {
    load(text);
  } catch (error) {
    if (error instanceof ConfigError)
      return error.problems.map((p) => `${p.line}:${p.col}: ${p.path}: ${p.message}`);
    throw error;
  }
  return [];
}

describe("failover hooks", () => {
  it("merge per director: notify by event, lists replace", () => {
    const inv = load(
      inventory([
        "notify: { all: /usr/local/sbin/vrrp-event, master: /usr/local/sbin/vip-up common }",
        "track_interfaces: [eth0, { name: bond0, weight: -30 }]",
        "track_scripts:",
        "  - { name: web_up, script: /usr/local/bin/check-web 80, weight: -60, fall: 2 }",
        "per_director:",
        "  ds2: { notify: { master: /usr/local/sbin/vip-up ds2 }, track_interfaces: [eth2] }",
      ]),
    );
    const vrrp = inv.lvs!.vrrp;
    expect(hooksFor(vrrp, "ds1")).toEqual({
      notify: { all: "/usr/local/sbin/vrrp-event", master: "/usr/local/sbin/vip-up common" },
      trackInterfaces: [{ name: "eth0" }, { name: "bond0", weight: -30 }],
      trackScripts: [
        { name: "web_up", command: "/usr/local/bin/check-web 80", intervalSec: 2, weight: -60, fall: 2 },
      ],
    });
    expect(hooksFor(vrrp, "ds2")).toEqual({
      notify: { all: "/usr/local/sbin/vrrp-event", master: "/usr/local/sbin/vip-up ds2" },
      trackInterfaces: [{ name: "eth2" }],
      trackScripts: hooksFor(vrrp, "ds1").trackScripts,
    });
  });

  it("no hooks: nothing rendered, nothing required", () => {
    expect(hooksFor(load(inventory([])).lvs!.vrrp, "ds1")).toEqual({
      notify: {},
      trackInterfaces: [],
      trackScripts: [],
    });
  });

  it("refuses relative paths, keepalived syntax in commands, weights out of range, unknown or repeated names", () => {
    expect(
      problems(
        inventory([
          "notify: { master: vip-up, backup: '/usr/bin/x $_RANDOM', fault: '/usr/bin/x  two' }",
          "track_interfaces: [eth0, { name: eth0 }, { name: 'eth}', weight: 254 }]",
          "track_scripts:",
          "  - { name: a, script: /bin/a, interval: 0 }",
          "  - { name: a, script: /bin/a }",
          "per_director: { rs3: {}, ds9: {} }",
        ]),
      ),
    ).toEqual([
      expect.stringMatching(
        /^9:23: lvs\.vrrp\.notify\.master: expected a command \(an absolute path.*: it cannot start with "v"/,
      ),
      expect.stringMatching(/^9:39: lvs\.vrrp\.notify\.backup: expected a command .*: "\$" is not allowed/),
      expect.stringMatching(
        /^9:69: lvs\.vrrp\.notify\.fault: expected a command .*: it has two spaces in a row/,
      ),
      expect.stringMatching(
        /^10:54: lvs\.vrrp\.track_interfaces\[2\]\.name: expected an interface name .*"}" is not allowed/,
      ),
      expect.stringMatching(
        /^10:70: lvs\.vrrp\.track_interfaces\[2\]\.weight: expected a weight -253\.\.253, found 254$/,
      ),
      expect.stringMatching(
        /^12:46: lvs\.vrrp\.track_scripts\[0\]\.interval: expected an integer 1-3600, found 0$/,
      ),
    ]);
    expect(
      problems(
        inventory([
          "track_interfaces: [eth0, { name: eth0 }]",
          "track_scripts: [{ name: a, script: /bin/a }, { name: a, script: /bin/b }]",
          "per_director: { rs3: {}, ds9: {} }",
        ]),
      ),
    ).toEqual([
      "9:30: lvs.vrrp.track_interfaces[1]: eth0 is listed twice",
      "10:50: lvs.vrrp.track_scripts[1]: a is listed twice",
      "11:21: lvs.vrrp.per_director.rs3: rs3 is not in group directors",
      "11:30: lvs.vrrp.per_director.ds9: ds9 is not a host of this inventory",
    ]);
  });
});
