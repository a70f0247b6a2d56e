// A byte-level snapshot of everything lvsplay manages on every lab host, read
// directly through nsenter: used to prove that check mode and invalid input
// change nothing. Counters and timestamps that move by themselves (packet
// counters, iptables-save's "Generated on" lines) are the only things removed.
import type { E2eLab } from "./e2e-lab.js";
import { DR_SYSCTLS, KEEPALIVED_CONF, LVSPLAY_CONF, RULES_V4, SYSCTL_FILE } from "./host-state.js";

const MANAGED_FILES = [
  RULES_V4,
  KEEPALIVED_CONF,
  `${KEEPALIVED_CONF}.lvsplay-bak`,
  LVSPLAY_CONF,
  `${LVSPLAY_CONF}.lvsplay-bak`,
  "/etc/default/keepalived",
  SYSCTL_FILE,
  "/etc/lvsplay/boot.d/10-lo-vip",
  "/etc/firewalld/direct.xml",
  "/etc/firewalld/zones/public.xml",
  "/etc/iptables/ipsets",
  "/etc/nftables.conf",
  "/etc/nftables.d/lvsplay.nft",
  "/etc/firewalld/ipsets/lvs_mark_list.xml",
];
const MANAGED_DIRS = [
  "/etc/iptables",
  "/etc/keepalived",
  "/etc/sysctl.d",
  "/etc/lvsplay/boot.d",
  "/etc/systemd/system",
  "/etc/firewalld",
  "/etc/firewalld/zones",
  "/etc/rc2.d",
  "/etc/nftables.d",
  "/etc/firewalld/ipsets",
];

/** Name of the read → its output (stdout, stderr and exit code: a missing file is state too). */
export type HostSnapshot = Record<string, string>;
export type LabSnapshot = Record<string, HostSnapshot>;

const normaliseSave = (text: string) =>
  text
    .split("\n")
    .filter((l) => !l.startsWith("#"))
    .map((l) => l.replace(/\[\d+:\d+\]/g, "[-]"))
    .join("\n");

async function hostSnapshot(lab: E2eLab, node: string): Promise<HostSnapshot> {
  const reads: [string, string[], ((s: string) => string)?][] = [
    ["iptables-save", ["iptables-save"], normaliseSave],
    [
      "nft ruleset",
      ["nft", "-a", "list", "ruleset"],
      (t) => t.replace(/counter packets \d+ bytes \d+/g, "counter"),
    ],
    ["lo addresses", ["ip", "-4", "-o", "addr", "show", "dev", "lo"]],
    ["data-plane addresses", ["ip", "-4", "-o", "addr", "show", "dev", lab.facts.interfaces[node] ?? "eth1"]],
    ["sysctls", ["sysctl", ...Object.keys(DR_SYSCTLS)]],
    ["keepalived pid", ["cat", "/run/keepalived.pid"]],
    ["mtimes", ["stat", "-c", "%n %y %s %a", ...MANAGED_FILES]],
    ["dirs", ["ls", "-la", "--time-style=full-iso", ...MANAGED_DIRS]],
    ...MANAGED_FILES.map((f): [string, string[]] => [f, ["cat", f]]),
  ];
  if (lab.facts.firewalldNodes.includes(node))
    reads.push(
      ["firewalld permanent direct", ["firewall-cmd", "--permanent", "--direct", "--get-all-rules"]],
      ["firewalld permanent chains", ["firewall-cmd", "--permanent", "--direct", "--get-all-chains"]],
      ["firewalld runtime direct", ["firewall-cmd", "--direct", "--get-all-rules"]],
      ["firewalld permanent zone", ["firewall-cmd", "--permanent", "--list-all"]],
      ["firewalld runtime zone", ["firewall-cmd", "--list-all"]],
      ["firewalld runtime ipsets", ["firewall-cmd", "--get-ipsets"]],
      ["firewalld runtime peer set", ["firewall-cmd", "--info-ipset=lvs_mark_list"]],
      ["firewalld permanent peer set", ["firewall-cmd", "--permanent", "--info-ipset=lvs_mark_list"]],
    );
  const snap: HostSnapshot = {};
  for (const [name, argv, normalise] of reads) {
    const r = await lab.exec(node, argv);
    snap[name] = `${normalise ? normalise(r.stdout) : r.stdout}\n--stderr: ${r.stderr}\n--exit: ${r.code}`;
  }
  return snap;
}

export async function labSnapshot(lab: E2eLab): Promise<LabSnapshot> {
  const nodes = Object.keys(lab.facts.interfaces);
  const snaps = await Promise.all(nodes.map(async (n) => [n, await hostSnapshot(lab, n)] as const));
  return Object.fromEntries(snaps);
}

/** The sshd log of every host: any SSH connection (even one that never logs in) adds lines. */
export async function sshdLogs(lab: E2eLab): Promise<Record<string, string>> {
  const nodes = Object.keys(lab.facts.interfaces);
  const logs = await Promise.all(
    nodes.map(async (n) => [n, await lab.read(n, ["cat", "/var/log/lvsplay-lab-sshd.log"])] as const),
  );
  return Object.fromEntries(logs);
}
