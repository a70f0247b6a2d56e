// Kernel capabilities the LVS setup depends on: IPVS, the iptables `mac` match
// and kernel ipsets of MACs (hash:mac).
import type { Fact } from "../engine/types.js";

export interface KernelFact {
  /** present: /proc/net/ip_vs exists; loadable: the ip_vs module can be loaded; absent: neither. */
  readonly ipvs: "present" | "loadable" | "absent";
  /** The kernel accepts `-m mac` (probed with a read-only `iptables -C`); unknown without iptables. */
  readonly macMatch: boolean | "unknown";
  /** The kernel has ipset type hash:mac (module loaded, loadable or built in): kernel ipsets of peer MACs work. */
  readonly ipsetHashMac: boolean;
}

// `iptables -C` on a rule that does not exist exits 1 ("Bad rule") when the
// match is usable and 2 (or complains about the match) when it is not.
const PROBE = [
  "if [ -d /sys/module/ip_set_hash_mac ] || modprobe -n -q ip_set_hash_mac 2>/dev/null; then echo hashmac=yes; else echo hashmac=no; fi",
  "if [ -e /proc/net/ip_vs ]; then echo ipvs=present; elif modprobe -n -q ip_vs 2>/dev/null; then echo ipvs=loadable; else echo ipvs=absent; fi",
  "if ! command -v iptables >/dev/null 2>&1; then echo mac=unknown; exit 0; fi",
  "out=$(iptables -w -t mangle -C PREROUTING -m mac --mac-source 02:00:00:00:00:00 -j RETURN 2>&1); rc=$?",
  'if [ $rc -eq 0 ] || { [ $rc -eq 1 ] && printf %s "$out" | grep -q "Bad rule"; }; then echo mac=yes; else echo mac=no; fi',
].join("\n");

export function parseKernel(stdout: string): KernelFact {
  const get = (k: string) => new RegExp(`^${k}=(\\S+)$`, "m").exec(stdout)?.[1];
  const ipvs = get("ipvs");
  return {
    ipvs: ipvs === "present" || ipvs === "loadable" ? ipvs : "absent",
    macMatch: get("mac") === "unknown" ? "unknown" : get("mac") === "yes",
    ipsetHashMac: get("hashmac") === "yes",
  };
}

export const kernelFact: Fact<KernelFact> = {
  name: "kernel",
  command: () => ({ argv: ["sh", "-c", PROBE] }),
  parse: (r) => parseKernel(r.stdout),
};
