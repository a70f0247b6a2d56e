import { describe, expect, it } from "vitest";
import type { Inventory } from "../../src/inventory/model.js";
import { type DirectorFacts, resolveRealServers } from "../../src/lvs/directors.js";
import { analyzeLoops } from "../../src/lvs/loop/analyze.js";
import {
  fwmarkServices,
  type LoopModel,
  loopDirector,
  realServerNamesByAddress,
  type VirtualService,
} from "../../src/lvs/loop/model.js";
import { allocateMarks } from "../../src/lvs/marks/allocate.js";
import { desiredMarkRules } from "../../src/lvs/marks/chain.js";
import { allFacts, inventory, webService } from "./helpers/inventory.js";

/** The layout lvsplay renders: fwmark services + peer-excluding mark rules. */
function fwmarkLayout(
  inv: Inventory,
  peersOf?: (d: DirectorFacts, all: DirectorFacts[]) => DirectorFacts[],
): LoopModel {
  const facts = allFacts(inv.groups.directors!.length);
  const { marks } = allocateMarks(inv, {});
  const rs = resolveRealServers(inv, facts);
  const services = inv.lvs!.services;
  return {
    directors: facts.map((f) =>
      loopDirector(
        f,
        desiredMarkRules(f, peersOf ? peersOf(f, facts) : facts, services, marks[f.name]!),
        fwmarkServices(marks[f.name]!, rs),
      ),
    ),
    names: realServerNamesByAddress(rs),
  };
}

/** The seed's naive layout: VIP:port virtual servers, no mark rules. */
function naiveLayout(inv: Inventory): LoopModel {
  const facts = allFacts(inv.groups.directors!.length);
  const rs = resolveRealServers(inv, facts);
  const vip: VirtualService = {
    kind: "vip",
    vip: "7.7.7.100",
    protocol: "tcp",
    port: 80,
    realServers: rs.map((r) => r.address),
  };
  return { directors: facts.map((f) => loopDirector(f, [], [vip])), names: realServerNamesByAddress(rs) };
}

describe("analyzeLoops", () => {
  it("reports the seed's naive VIP:port layout on two co-located directors as a loop, with the path", () => {
    const result = analyzeLoops(naiveLayout(inventory()));
    expect(result.ok).toBe(false);
    expect(result.problems).toContain(
      "loop: 7.7.7.100:80/tcp: client → ds1 (VIP 7.7.7.100:80, forwards to ds2) → ds2 (VIP 7.7.7.100:80, forwards to ds1) → loop",
    );
    expect(result.problems).toContain(
      "forwarded by two directors in a row: 7.7.7.100:80/tcp: client → ds1 (VIP 7.7.7.100:80, forwards to ds2) → ds2 (VIP 7.7.7.100:80, forwards to rs3) → rs3",
    );
  });

  it("passes the fwmark layout lvsplay renders (seed), with readable paths", () => {
    const result = analyzeLoops(fwmarkLayout(inventory()));
    expect(result).toMatchObject({ ok: true, problems: [], notes: [] });
    expect(result.paths).toEqual([
      "7.7.7.100:80/tcp: client → ds1 (fwmark 1, schedules itself: served locally)",
      "7.7.7.100:80/tcp: client → ds1 (fwmark 1, forwards to ds2) → ds2 (no mark, no virtual service: served locally)",
      "7.7.7.100:80/tcp: client → ds1 (fwmark 1, forwards to rs3) → rs3 serves",
      "7.7.7.100:80/tcp: client → ds2 (fwmark 2, forwards to ds1) → ds1 (no mark, no virtual service: served locally)",
      "7.7.7.100:80/tcp: client → ds2 (fwmark 2, schedules itself: served locally)",
      "7.7.7.100:80/tcp: client → ds2 (fwmark 2, forwards to rs3) → rs3 serves",
    ]);
  });

  it("passes three directors and two services (multiport) when every peer is excluded", () => {
    const inv = inventory({
      directors: 3,
      services: [webService(), webService({ name: "shop", vip: "7.7.7.101", ports: [80, 443] })],
    });
    const result = analyzeLoops(fwmarkLayout(inv));
    expect(result.problems).toEqual([]);
    expect(result.ok).toBe(true);
    // 3 probes (7.7.7.100:80, 7.7.7.101:80, 7.7.7.101:443) × 3 entry directors × 4 real servers
    expect(result.paths).toHaveLength(36);
  });

  it("fails a three-director layout where each director excludes only one peer", () => {
    const inv = inventory({ directors: 3 });
    // ds1 excludes ds2 only, ds2 excludes ds3 only, ds3 excludes ds1 only
    const onlyNext = (d: DirectorFacts, all: DirectorFacts[]): DirectorFacts[] => {
      const i = all.findIndex((f) => f.name === d.name);
      return [all[(i + 1) % all.length]!];
    };
    const result = analyzeLoops(fwmarkLayout(inv, onlyNext));
    expect(result.ok).toBe(false);
    // ds2 excludes ds3 only, so ds1's forward gets marked on ds2 and scheduled again
    expect(result.problems).toContain(
      "loop: 7.7.7.100:80/tcp: client → ds1 (fwmark 1, forwards to ds2) → ds2 (fwmark 2, forwards to ds1) → loop",
    );
    // ds3 excludes ds1, so that hop is served locally
    expect(result.paths).toContain(
      "7.7.7.100:80/tcp: client → ds1 (fwmark 1, forwards to ds3) → ds3 (no mark, no virtual service: served locally)",
    );
    // every entry point has a failing path
    for (const d of ["ds1", "ds2", "ds3"])
      expect(result.problems.some((p) => p.includes(`client → ${d} `))).toBe(true);
  });

  it("understands the ipset variant: a set holding the peers' MACs is loop-free, an empty one is not", () => {
    const inv = inventory();
    const facts = allFacts(2);
    const { marks } = allocateMarks(inv, {});
    const rs = resolveRealServers(inv, facts);
    const model = (members: (f: DirectorFacts) => string[]): LoopModel => ({
      directors: facts.map((f) =>
        loopDirector(
          f,
          desiredMarkRules(f, facts, inv.lvs!.services, marks[f.name]!, { peerSetName: "lvsplay-peers" }),
          fwmarkServices(marks[f.name]!, rs),
          { "lvsplay-peers": members(f) },
        ),
      ),
    });
    const peerMacs = (f: DirectorFacts): string[] => facts.filter((p) => p.name !== f.name).map((p) => p.mac);
    expect(analyzeLoops(model(peerMacs)).ok).toBe(true);
    expect(analyzeLoops(model(() => [])).ok).toBe(false);
  });

  it("takes fwmark before VIP:port, as IPVS does (a leftover VIP:port service behind a mark is harmless only for marked packets)", () => {
    const inv = inventory();
    const fw = fwmarkLayout(inv);
    const leftover: VirtualService = {
      kind: "vip",
      vip: "7.7.7.100",
      protocol: "tcp",
      port: 80,
      realServers: ["7.7.7.11", "7.7.7.12", "7.7.7.13"],
    };
    // an old VIP:port service left on ds2 catches the unmarked packet ds1 forwards → double forward
    const model: LoopModel = {
      ...fw,
      directors: fw.directors.map((d) =>
        d.name === "ds2" ? { ...d, services: [...d.services, leftover] } : d,
      ),
    };
    const result = analyzeLoops(model);
    expect(result.ok).toBe(false);
    expect(result.problems).toContain(
      "loop: 7.7.7.100:80/tcp: client → ds1 (fwmark 1, forwards to ds2) → ds2 (VIP 7.7.7.100:80, forwards to ds1) → loop",
    );
  });
});
