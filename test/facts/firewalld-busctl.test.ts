// The busctl probe must read firewalld exactly as the Python probe does: both
// were captured from the lab's firewalld host in the same state (converged;
// and with eth1 bound to zone internal, which allows vrrp and 8080/udp at runtime only).

import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
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

// The function run in dash against a busctl stand-in that answers every call
// with what the real firewalld answered when the capture was taken: its output
// must be the capture again, byte for byte (the capture was printed by it).
describe("the busctl function replays a real capture", () => {
  const dir = mkdtempSync(join(tmpdir(), "lvsplay-fwprobe-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // $CAPTURE: the capture file; $SET: the ipset asked for. STATE / ONE_LINE change the property answers.
  writeFileSync(
    join(dir, "busctl"),
    [
      "#!/bin/sh",
      "shift 2; verb=$1; obj=$3; m=$5; arg=$7",
      'get() { grep "^$1	" "$CAPTURE" | cut -f2-; }',
      'zone() { grep "^$1	$2	" "$CAPTURE" | cut -f3-; }',
      'if [ "$verb" = get-property ]; then',
      '  if [ "$m" = FirewallBackend ]; then get be; exit 0; fi',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion
      '  printf \'{"type":"s","data":"%s"}\\n\' "${STATE:-RUNNING}"',
      '  [ -n "$ONE_LINE" ] && exit 0',
      "  get ver; get ty; exit 0",
      "fi",
      "case $m in",
      "  getAllChains) get rc ;; getAllRules) get rr ;;",
      "  getSettings) case $obj in */ipset/*) get isp ;; *) get pd ;; esac ;;",
      '  getDefaultZone) printf \'{"type":"s","data":["%s"]}\\n\' "$(get default)" ;;',
      "  getActiveZones) get az ;;",
      '  queryIPSet) if [ -n "$(get isr)" ]; then echo \'{"type":"b","data":[true]}\'; else echo \'{"type":"b","data":[false]}\'; fi ;;',
      "  getIPSetSettings) get isr ;;",
      '  getIPSetNames) if [ -n "$(get isp)" ]; then printf \'{"type":"as","data":[["%s"]]}\\n\' "$SET"; else echo \'{"type":"as","data":[[]]}\'; fi ;;',
      '  getIPSetByName) echo \'{"type":"o","data":["/org/fedoraproject/FirewallD1/config/ipset/0"]}\' ;;',
      '  getZoneSettings2) zone zr "$arg" ;;',
      '  getZoneByName) printf \'{"type":"o","data":["/org/fedoraproject/FirewallD1/config/zone/%s"]}\\n\' "$arg" ;;',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion
      '  getSettings2) zone zp "${obj##*/}" ;;',
      "  *) exit 1 ;;",
      "esac",
    ].join("\n"),
  );
  chmodSync(join(dir, "busctl"), 0o755);
  const probe = (file: string, env: Record<string, string> = {}) => {
    const r = spawnSync("dash", ["-c", `${BUSCTL_PROBE}\nfw_busctl lvs_mark_list`], {
      encoding: "utf8",
      env: {
        PATH: `${dir}:/usr/bin:/bin`,
        SET: "lvs_mark_list",
        CAPTURE: new URL(`../operations/fixtures/captures/firewalld/${file}`, import.meta.url).pathname,
        ...env,
      },
    });
    return { code: r.status, stdout: r.stdout };
  };

  for (const state of ["ds2-converged", "ds2-eth1-internal", "ds2-fresh"]) {
    it(`${state}: the same text as the capture`, () => {
      expect(probe(`busctl-${state}.txt`)).toEqual({ code: 0, stdout: capture(`busctl-${state}.txt`) });
    });
  }

  it("firewalld not RUNNING: stopped, nothing else read", () => {
    expect(probe("busctl-ds2-converged.txt", { STATE: "FAILED" })).toEqual({
      code: 0,
      stdout: "state=stopped\n",
    });
  });

  it("fewer property answers than asked: fails, so the Python probe runs instead", () => {
    expect(probe("busctl-ds2-converged.txt", { ONE_LINE: "1" }).code).toBe(1);
  });
});
