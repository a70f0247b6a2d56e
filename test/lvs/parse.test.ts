import { describe, expect, it } from "vitest";
import { canonicalRule, parseMangle } from "../../src/lvs/marks/parse.js";
import { parseMarkRule } from "../../src/lvs/marks/rule-info.js";
import { splitRule } from "../../src/lvs/marks/tokens.js";
import { fixture } from "./helpers/golden.js";

// Fixtures: full `iptables-save` output captured on this machine (iptables 1.8.9)
// from a namespace holding our chain, a duplicate jump and foreign mark rules.
describe.each(["iptables-save-nft.txt", "iptables-save-legacy.txt"])("parseMangle(%s)", (name) => {
  const state = parseMangle(fixture(name));

  it("finds our chain, its rule and the duplicated jump", () => {
    expect(state.mangleTableSeen).toBe(true);
    expect(state.chainExists).toBe(true);
    expect(state.jumpCount).toBe(2);
    expect(state.chainRules).toEqual([
      '-A LVSPLAY-MARK -d 7.7.7.100/32 -p tcp -m tcp --dport 80 -m mac ! --mac-source 02:00:07:07:07:12 -m comment --comment "lvsplay:web" -j MARK --set-xmark 0x2/0xffffffff',
    ]);
  });

  it("collects marks set outside our chain (MARK and CONNMARK), ignoring mark clears", () => {
    expect([...state.foreignMarks].sort((a, b) => a - b)).toEqual([1, 7, 0x20]);
    expect(state.foreignMarkRules).toHaveLength(3);
    expect(state.strayReferences).toEqual([]);
  });
});

describe("parseMangle edge cases", () => {
  it("reports an absent chain and table", () => {
    expect(parseMangle("")).toMatchObject({ mangleTableSeen: false, chainExists: false, jumpCount: 0 });
    const filterOnly = "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j MARK --set-xmark 0x5/0xffffffff\nCOMMIT\n";
    const s = parseMangle(filterOnly);
    expect(s.chainExists).toBe(false);
    expect([...s.foreignMarks]).toEqual([5]);
  });

  it("does not take a chain of the same name in another table for ours", () => {
    const s = parseMangle("*filter\n:LVSPLAY-MARK - [0:0]\n-A INPUT -j LVSPLAY-MARK\nCOMMIT\n");
    expect(s.chainExists).toBe(false);
    expect(s.jumpCount).toBe(0);
    expect(s.strayReferences).toEqual(["filter: -A INPUT -j LVSPLAY-MARK"]);
  });

  it("lower-cases MACs printed upper case by old iptables (1.4/1.6) so they compare", () => {
    expect(canonicalRule("-A X -m mac ! --mac-source 02:AA:BB:CC:DD:0F -j MARK  ")).toBe(
      "-A X -m mac ! --mac-source 02:aa:bb:cc:dd:0f -j MARK",
    );
  });
});

describe("splitRule", () => {
  it("reads iptables-save double quotes and firewalld shell quotes", () => {
    expect(splitRule('-m comment --comment "a \\"b\\" c" -j X')).toEqual([
      "-m",
      "comment",
      "--comment",
      'a "b" c',
      "-j",
      "X",
    ]);
    expect(splitRule("-m mac '!' --mac-source x --comment 'has space'")).toEqual([
      "-m",
      "mac",
      "!",
      "--mac-source",
      "x",
      "--comment",
      "has space",
    ]);
    expect(() => splitRule('--comment "open')).toThrow(/unterminated/);
  });
});

describe("parseMarkRule", () => {
  it("takes our multi-peer multiport rule apart", () => {
    const r = parseMarkRule(
      '-A LVSPLAY-MARK -d 7.7.7.101/32 -p tcp -m multiport --dports 80,443,8000:8010 -m mac ! --mac-source 02:00:07:07:07:12 -m mac ! --mac-source 02:00:07:07:07:13 -m comment --comment "lvsplay:shop" -j MARK --set-xmark 0x4/0xffffffff',
    );
    expect(r).toEqual({
      chain: "LVSPLAY-MARK",
      destination: "7.7.7.101/32",
      destinationNegated: false,
      protocol: "tcp",
      ports: [
        [80, 80],
        [443, 443],
        [8000, 8010],
      ],
      macs: [
        { negated: true, mac: "02:00:07:07:07:12" },
        { negated: true, mac: "02:00:07:07:07:13" },
      ],
      sets: [],
      comment: "lvsplay:shop",
      target: "MARK",
      mark: 4,
      unknown: [],
    });
  });

  it("reads set matches and flags what it does not understand", () => {
    const r = parseMarkRule(
      "-A PREROUTING -i eth0 -m set ! --match-set peers src -j MARK --set-xmark 0x10/0xff",
    );
    expect(r.sets).toEqual([{ negated: true, name: "peers", flags: "src" }]);
    expect(r.mark).toBeUndefined(); // partial mask: not a plain "set mark"
    expect(r.unknown).toEqual(["-i", "eth0", "--set-xmark 0x10/0xff"]);
  });
});
