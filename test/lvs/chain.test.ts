import { afterEach, describe, expect, it } from "vitest";
import { allocateMarks } from "../../src/lvs/marks/allocate.js";
import { desiredMarkRules, renderRemoval, renderRestore } from "../../src/lvs/marks/chain.js";
import { diffRules } from "../../src/lvs/marks/diff.js";
import { parseMangle } from "../../src/lvs/marks/parse.js";
import { expectGolden } from "./helpers/golden.js";
import { allFacts, directorFacts, inventory, webService } from "./helpers/inventory.js";
import { Netns } from "./helpers/netns.js";

const services = [
  webService(),
  webService({ name: "shop", vip: "7.7.7.101", ports: [80, 443], persistenceTimeoutSec: 300 }),
];

/** Desired rules of every director, as one text per topology. */
function rulesFor(directors: number, opts: { peerSetName?: string } = {}): string {
  const inv = inventory({ directors, services });
  const { marks } = allocateMarks(inv, {});
  const facts = allFacts(directors);
  return facts
    .map((f) => [`# ${f.name}`, ...desiredMarkRules(f, facts, services, marks[f.name]!, opts)].join("\n"))
    .join("\n")
    .concat("\n");
}

describe("desiredMarkRules", () => {
  it("writes the seed's rule for ds1: peer ds2 excluded, mark 1", () => {
    const [ds1, ds2] = [directorFacts(1), directorFacts(2)];
    expect(desiredMarkRules(ds1, [ds1, ds2], [webService()], { web: 1 })).toEqual([
      '-A LVSPLAY-MARK -d 7.7.7.100/32 -p tcp -m tcp --dport 80 -m mac ! --mac-source 02:00:07:07:07:12 -m comment --comment "lvsplay:web" -j MARK --set-xmark 0x1/0xffffffff',
    ]);
  });

  it("does not depend on the order of the peers and lower-cases MACs", () => {
    const facts = allFacts(3);
    const shuffled = [facts[2]!, { ...facts[1]!, mac: facts[1]!.mac.toUpperCase() }, facts[0]!];
    const marks = { web: 1, shop: 4 };
    expect(desiredMarkRules(facts[0]!, shuffled, services, marks)).toEqual(
      desiredMarkRules(facts[0]!, facts, services, marks),
    );
  });

  it("renders two directors (golden)", () => expectGolden("mark-rules-2-directors.txt", rulesFor(2)));
  it("renders three directors (golden)", () => expectGolden("mark-rules-3-directors.txt", rulesFor(3)));
  it("renders the ipset variant (golden)", () =>
    expectGolden("mark-rules-3-directors-ipset.txt", rulesFor(3, { peerSetName: "lvsplay-peers" })));

  it("refuses a service without a mark", () => {
    expect(() => desiredMarkRules(directorFacts(1), [], [webService()], {})).toThrow(
      /no fwmark for service web/,
    );
  });
});

describe("renderRestore", () => {
  it("creates the jump only when missing and removes duplicates", () => {
    expect(renderRestore(["-A LVSPLAY-MARK -j RETURN"], { jumpCount: 0 })).toBe(
      "*mangle\n:LVSPLAY-MARK - [0:0]\n-A LVSPLAY-MARK -j RETURN\n-I PREROUTING 1 -j LVSPLAY-MARK\nCOMMIT\n",
    );
    expect(renderRestore([], { jumpCount: 1 })).toBe("*mangle\n:LVSPLAY-MARK - [0:0]\nCOMMIT\n");
    expect(renderRestore([], { jumpCount: 3 })).toBe(
      "*mangle\n:LVSPLAY-MARK - [0:0]\n-D PREROUTING -j LVSPLAY-MARK\n-D PREROUTING -j LVSPLAY-MARK\nCOMMIT\n",
    );
  });
});

describe("diffRules", () => {
  it("is empty when equal and shows +/- otherwise", () => {
    expect(diffRules(["a", "b"], ["a", "b"])).toEqual([]);
    expect(diffRules(["a", "b"], ["a", "c"])).toEqual(["  a", "- b", "+ c"]);
    expect(diffRules([], ["x"])).toEqual(["+ x"]);
  });
});

// The canonical-form claim, checked against the real binaries in a throwaway namespace.
describe.each(["iptables", "iptables-legacy"])("round trip through %s", (iptables) => {
  let ns: Netns | undefined;
  afterEach(() => ns?.dispose());

  const save = (n: Netns): string => n.ok([`${iptables}-save`, "-t", "mangle"]);
  const restore = (n: Netns, input: string): void => {
    n.ok([`${iptables}-restore`, "--noflush"], input);
  };

  it("reads back exactly what we wrote (3 directors, multiport, multi-peer), idempotently", () => {
    ns = new Netns("lvsrt");
    const facts = allFacts(3);
    const desired = desiredMarkRules(facts[0]!, facts, services, { web: 1, shop: 4 });
    // a foreign rule that must survive
    ns.ok([iptables, "-t", "mangle", "-A", "PREROUTING", "-d", "7.7.7.200", "-j", "MARK", "--set-mark", "9"]);

    restore(ns, renderRestore(desired, parseMangle(save(ns))));
    let live = parseMangle(save(ns));
    expect(live.chainExists).toBe(true);
    expect(live.jumpCount).toBe(1);
    expect(live.chainRules).toEqual(desired);
    expect(diffRules(live.chainRules, desired)).toEqual([]);
    expect([...live.foreignMarks]).toEqual([9]);

    // a second apply with one rule changed: still one jump, chain replaced atomically
    const changed = desiredMarkRules(facts[0]!, facts, services, { web: 2, shop: 4 });
    restore(ns, renderRestore(changed, live));
    live = parseMangle(save(ns));
    expect(live.jumpCount).toBe(1);
    expect(live.chainRules).toEqual(changed);
  });

  it("reads back the ipset variant exactly", () => {
    ns = new Netns("lvsrt");
    ns.ok(["ipset", "create", "lvsplay-peers", "hash:ip"]); // hash:mac is missing on this kernel; the match text is the same
    const facts = allFacts(2);
    const desired = desiredMarkRules(
      facts[0]!,
      facts,
      [webService()],
      { web: 1 },
      { peerSetName: "lvsplay-peers" },
    );
    restore(ns, renderRestore(desired, { jumpCount: 0 }));
    expect(parseMangle(save(ns)).chainRules).toEqual(desired);
    // ipsets belong to the network namespace: deleting it (afterEach) removes the set too
  });

  it("removes duplicate jumps, and a stale plan fails without changing anything", () => {
    ns = new Netns("lvsrt");
    const n = ns;
    n.ok([iptables, "-t", "mangle", "-N", "LVSPLAY-MARK"]);
    n.ok([iptables, "-t", "mangle", "-A", "PREROUTING", "-j", "LVSPLAY-MARK"]);
    n.ok([iptables, "-t", "mangle", "-A", "PREROUTING", "-j", "LVSPLAY-MARK"]);
    const before = parseMangle(save(n));
    expect(before.jumpCount).toBe(2);
    // planned against a state with 4 jumps: 3 deletes, but only 2 jumps exist
    const stale = renderRestore(["-A LVSPLAY-MARK -d 7.7.7.9/32 -j MARK --set-xmark 0x7/0xffffffff"], {
      jumpCount: 4,
    });
    expect(n.run([`${iptables}-restore`, "--noflush"], stale).status).not.toBe(0);
    expect(parseMangle(save(n))).toEqual(before);

    restore(n, renderRestore([], before));
    expect(parseMangle(save(n)).jumpCount).toBe(1);
  });

  it("removes everything with renderRemoval", () => {
    ns = new Netns("lvsrt");
    restore(ns, renderRestore([], { jumpCount: 0 }));
    const removal = renderRemoval(parseMangle(save(ns)));
    expect(removal).not.toBeNull();
    restore(ns, removal!);
    const after = parseMangle(save(ns));
    expect(after.chainExists).toBe(false);
    expect(after.jumpCount).toBe(0);
    expect(renderRemoval(after)).toBeNull();
  });
});
