// The busctl probe must read firewalld exactly as the Python probe does: both
// were captured from the lab's firewalld host in the same state (converged;
// and with eth1 bound to zone internal, which allows vrrp and 8080/udp at runtime only).

import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { firewalldFact } from "../../src/facts/firewalld.js";
import { BUSCTL_PROBE, busctlToProbeText } from "../../src/facts/firewalld-busctl.js";

const capture = (name: string) =>
  readFileSync(new URL(`../operations/fixtures/captures/firewalld/${name}`, import.meta.url), "utf8");
const parse = (stdout: string) => firewalldFact.parse({ stdout, stderr: "", code: 0 }, []);

describe("firewalld over busctl", () => {
  for (const state of ["ds2-converged", "ds2-eth1-internal"]) {
    it(`${state}: same fact as the Python probe`, () => {
      const viaBusctl = parse(capture(`busctl-${state}.txt`));
      const viaPython = parse(capture(`python-${state}.txt`));
      // Only how it was read differs (a host busctl read is written to with busctl too).
      expect([viaBusctl.busctl, viaPython.busctl]).toEqual([true, false]);
      expect({ ...viaBusctl, busctl: false }).toEqual(viaPython);
      expect(viaBusctl.running).toBe(true);
    });
  }

  it("zone bound to the data interface: runtime-only openings stay runtime-only", () => {
    const fact = parse(capture("busctl-ds2-eth1-internal.txt"));
    expect(fact.zones).toEqual([
      { name: "internal", interfaces: ["eth1"], runtimeOpen: ["vrrp", "8080/udp"], permanentOpen: [] },
    ]);
  });

  it("rule arguments are quoted the way firewalld prints them ('!')", () => {
    expect(busctlToProbeText(capture("busctl-ds2-converged.txt"))).toMatch(/-m mac '!' --mac-source/);
  });

  it("a missing answer is an error (the fact fails), never an empty rule set", () => {
    const truncated = capture("busctl-ds2-converged.txt")
      .split("\n")
      .filter((l) => !l.startsWith("pd\t"))
      .join("\n");
    expect(() => parse(truncated)).toThrow(/permanent direct settings/);
  });

  it("the shell function is valid POSIX sh", () => {
    const r = spawnSync("dash", ["-n", "-c", BUSCTL_PROBE], { encoding: "utf8" });
    expect([r.status, r.stderr]).toEqual([0, ""]);
  });
});
