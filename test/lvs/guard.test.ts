import { describe, expect, it } from "vitest";
import { topologyGuard } from "../../src/lvs/keepalived/guard.js";
import { inventory, webService } from "./helpers/inventory.js";

describe("topologyGuard", () => {
  it("accepts the seed (fwmark layout, co-located directors)", () => {
    expect(topologyGuard(inventory())).toEqual({ errors: [], warnings: [] });
  });

  it("explains the ping-pong loop when the looping layout is explicitly allowed", () => {
    const { errors, warnings } = topologyGuard(inventory({ lvs: { allowLoopingLayout: true } }));
    expect(errors).toEqual([]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(
      "client → ds1 (VIP 7.7.7.100:80, forwards to ds2) → ds2 (VIP 7.7.7.100:80, forwards to ds1) → loop",
    );
    expect(warnings[0]).toContain("directors ds1, ds2 are also real servers");
  });

  it("does not warn about the override with a single director (nothing to ping-pong with)", () => {
    expect(topologyGuard(inventory({ directors: 1, lvs: { allowLoopingLayout: true } })).warnings).toEqual(
      [],
    );
  });

  it("refuses services whose mark rules would overlap, and other broken layouts", () => {
    const inv = inventory({
      services: [
        webService(),
        webService({ name: "web2", ports: [443, 80] }),
        webService({ name: "empty", vip: "7.7.7.102", ports: [] }),
      ],
    });
    const base = inv.lvs!;
    const broken = {
      ...inv,
      groups: { ...inv.groups, realservers: [] },
      lvs: { ...base, vrrp: { ...base.vrrp, order: ["ds1", "rs3"], priorities: { ds1: 100 } } },
    };
    expect(topologyGuard(broken).errors).toEqual([
      "no hosts in group realservers: every virtual server would be empty",
      "vrrp order names rs3, which is not a director",
      "director ds2 has no VRRP priority",
      "services web and web2 share 7.7.7.100 tcp ports: a packet would get whichever mark rule comes last",
      "service empty has no ports",
    ]);
  });
});
