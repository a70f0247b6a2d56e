// firewalld with the data-plane interface bound to a non-default zone: lvsplay
// must open VRRP and the service port in THAT zone (runtime and permanent),
// otherwise both directors become MASTER and forwarded requests are dropped.
import { describe, expect, it } from "vitest";
import { useE2eLab } from "./support/e2e-lab.js";
import { vipHolders, waitFor } from "./support/host-state.js";
import { applyJson } from "./support/lvsplay-cli.js";

const lab = useE2eLab("fwzone");

describe("firewalld zones", () => {
  it("opens VRRP and the service port in the zone of the data-plane interface", async () => {
    const [node] = lab.facts.firewalldNodes;
    expect(node).toBeDefined();
    const fw = node!;
    const iface = lab.facts.interfaces[fw]!;
    for (const permanent of [[], ["--permanent"]]) {
      await lab.read(fw, ["firewall-cmd", ...permanent, "--zone=internal", `--change-interface=${iface}`]);
    }
    const run = await applyJson(lab.inventoryFile);
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    for (const permanent of [[], ["--permanent"]]) {
      const protocols = await lab.read(fw, [
        "firewall-cmd",
        ...permanent,
        "--zone=internal",
        "--list-protocols",
      ]);
      const ports = await lab.read(fw, ["firewall-cmd", ...permanent, "--zone=internal", "--list-ports"]);
      expect(protocols.split(/\s+/)).toContain("vrrp");
      expect(ports.split(/\s+/)).toContain(`${lab.facts.port}/tcp`);
    }
    await waitFor("exactly one VIP holder", async () => (await vipHolders(lab)).length === 1, 15_000);
    const again = await applyJson(lab.inventoryFile);
    expect(again.code).toBe(0);
    expect(Object.values(again.json.recap).every((h) => h.changed === 0)).toBe(true);
  });
});
