// What a VIP holder can take without handing its VIP over: mark rules with the
// same VIPs and marks, and keepalived files whose only difference is in their
// virtual_server blocks, on a keepalived whose reload edits those in place.
import { describe, expect, it } from "vitest";
import { parseBlocks, reloadInPlace, versionAtLeast } from "../../src/lvs/keepalived/in-place.js";
import { sameVipsAndMarks, vipMarkPairs } from "../../src/lvs/marks/in-place.js";

const rule = (vip: string, port: number, mark: string, mac = "02:00:07:07:07:12") =>
  `-A LVSPLAY-MARK -d ${vip}/32 -p tcp -m tcp --dport ${port} -m mac ! --mac-source ${mac} -m comment --comment "lvsplay:web" -j MARK --set-xmark ${mark}/0xffffffff`;

describe("mark rules", () => {
  it("reads VIP→mark pairs from iptables-save lines, and refuses lines that lack one", () => {
    expect(vipMarkPairs([rule("7.7.7.100", 80, "0x1"), rule("7.7.7.101", 443, "0xa")])).toEqual([
      "7.7.7.100→1",
      "7.7.7.101→10",
    ]);
    expect(vipMarkPairs(["(a rule lvsplay did not write)"])).toBeNull();
    // Not a VIP, not a mark: a negated destination, a CONNMARK target.
    expect(vipMarkPairs([rule("7.7.7.100", 80, "0x1").replace(" -d ", " ! -d ")])).toBeNull();
    expect(vipMarkPairs([rule("7.7.7.100", 80, "0x1").replace("-j MARK", "-j CONNMARK")])).toBeNull();
  });

  it("other ports or peer MACs with the same VIPs and marks: in place; another mark or VIP: not", () => {
    const now = [rule("7.7.7.100", 80, "0x1")];
    expect(sameVipsAndMarks(now, [rule("7.7.7.100", 8080, "0x1")])).toBe(true);
    expect(sameVipsAndMarks(now, [rule("7.7.7.100", 80, "0x1", "02:00:07:07:07:99")])).toBe(true);
    expect(sameVipsAndMarks(now, [rule("7.7.7.100", 80, "0x2")])).toBe(false);
    expect(sameVipsAndMarks(now, [rule("7.7.7.101", 80, "0x1")])).toBe(false);
    expect(sameVipsAndMarks(now, [...now, rule("7.7.7.101", 80, "0x3")])).toBe(false);
    expect(sameVipsAndMarks([], now)).toBe(false);
  });
});

const conf = (priority: number, scheduler: string, realServers: string[]) =>
  [
    "# lvsplay's keepalived configuration",
    "vrrp_instance VI_1 {",
    "    state BACKUP",
    `    priority ${priority}`,
    "}",
    "virtual_server fwmark 1 {",
    `    lb_algo ${scheduler}  # the scheduler`,
    ...realServers.map((rs) => `    real_server ${rs} {\n        weight 1\n    }`),
    "}",
    "",
  ].join("\n");

describe("keepalived files", () => {
  it("compares versions by their numbers", () => {
    expect(versionAtLeast("2.2.7", "2.0.19")).toBe(true);
    expect(versionAtLeast("2.2.2", "2.2.2")).toBe(true);
    expect(versionAtLeast("2.2.1", "2.2.2")).toBe(false);
    expect(versionAtLeast("2.0.9", "2.0.19")).toBe(false);
    expect(versionAtLeast("1.3.5", "2.0.19")).toBe(false);
    expect(versionAtLeast("2.1", "2.0.19")).toBe(true);
  });

  it("reads blocks without comments; null where keepalived's own reading could differ", () => {
    expect(
      parseBlocks("vrrp_instance A {  # x\n  priority   150\n  track_file { f weight -2 }\n}\n"),
    ).toEqual([
      {
        text: "vrrp_instance A",
        block: [{ text: "priority 150" }, { text: "track_file", block: [{ text: "f weight -2" }] }],
      },
    ]);
    expect(parseBlocks("virtual_server fwmark 1 {\n  lb_algo rr\n")).toBeNull();
    expect(parseBlocks("}\n")).toBeNull();
    // A continued line, a quote next to a comment character: keepalived's rules are not copied, so no answer.
    expect(parseBlocks("priority 150 # x \\\n")).toBeNull();
    expect(parseBlocks('notify "/bin/x #1"\n')).toBeNull();
  });

  it("a real server, weight or persistence change on keepalived ≥ 2.2.2 reloads in place; a scheduler, VRRP changes, older keepalived, unknown versions do not", () => {
    const before = conf(150, "rr", ["7.7.7.21"]);
    expect(reloadInPlace(before, conf(150, "rr", ["7.7.7.21", "7.7.7.22"]), "2.2.7")).toMatch(
      /real servers, weights or persistence differ: keepalived 2\.2\.7 edits them in place/,
    );
    expect(reloadInPlace(before, before.replace("weight 1", "weight 3"), "2.2.7")).toBeDefined();
    expect(
      reloadInPlace(
        before,
        before.replace("    lb_algo rr", "    lb_algo rr\n    persistence_timeout 60"),
        "2.2.7",
      ),
    ).toBeDefined();
    // The kernel's scheduler swap leaves a moment with none: a SYN then is refused.
    expect(reloadInPlace(before, conf(150, "wlc", ["7.7.7.21"]), "2.2.7")).toBeUndefined();
    expect(reloadInPlace(before, conf(200, "rr", ["7.7.7.21"]), "2.2.7")).toBeUndefined();
    const more = conf(150, "rr", ["7.7.7.21", "7.7.7.22"]);
    expect(reloadInPlace(before, more, "2.0.19")).toBeUndefined();
    expect(reloadInPlace(before, more, "2.2.1")).toBeUndefined();
    expect(reloadInPlace(before, more, undefined)).toBeUndefined();
    expect(reloadInPlace(null, before, "2.2.7")).toBeUndefined();
    // A renumbered or added virtual server: keepalived deletes and adds, connections go.
    expect(reloadInPlace(before, before.replace("fwmark 1 {", "fwmark 7 {"), "2.2.7")).toBeUndefined();
    expect(reloadInPlace(before, `${before}virtual_server fwmark 2 {\n}\n`, "2.2.7")).toBeUndefined();
    // A kept real server's health check: handed over (its checker restarts as up).
    expect(
      reloadInPlace(before, before.replace("weight 1", "weight 1\n        TCP_CHECK {\n        }"), "2.2.7"),
    ).toBeUndefined();
    // Another virtual-server setting (delay_loop): handed over.
    expect(
      reloadInPlace(before, before.replace("    lb_algo rr", "    lb_algo rr\n    delay_loop 9"), "2.2.7"),
    ).toBeUndefined();
    // Unchanged content (a mode change): a reload changes nothing, whatever the version.
    expect(reloadInPlace(before, before, undefined)).toMatch(/unchanged/);
  });
});
