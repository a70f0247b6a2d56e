// DR real-server sysctls: never answer ARP for the VIP held on lo
// (arp_ignore=1) and never announce it as a source (arp_announce=2).
// Written under /etc/sysctl.d/ and applied live.
import { z } from "zod";
import { type Change, factRequest, type Operation, type Plan, unchanged } from "../../engine/types.js";
import { fileFact, sameMode } from "../../facts/file.js";
import { sysctlFact } from "../../facts/sysctl.js";
import { isRealServer } from "./shared.js";

const Args = z.strictObject({});

export const DR_SYSCTL_FILE = "/etc/sysctl.d/90-lvsplay-dr.conf";
export const DR_SYSCTLS: Readonly<Record<string, string>> = {
  "net.ipv4.conf.all.arp_ignore": "1",
  "net.ipv4.conf.all.arp_announce": "2",
  "net.ipv4.conf.lo.arp_ignore": "1",
  "net.ipv4.conf.lo.arp_announce": "2",
};

export const drSysctlContent = (): string =>
  [
    "# Managed by lvsplay: LVS-DR real server ARP behaviour (VIP on lo must not answer ARP)",
    ...Object.entries(DR_SYSCTLS).map(([k, v]) => `${k} = ${v}`),
    "",
  ].join("\n");

export const drSysctlOperation: Operation<z.infer<typeof Args>> = {
  name: "lvs.dr_sysctl",
  description: "persist and apply arp_ignore=1 / arp_announce=2 on real servers",
  parseArgs: (raw) => Args.parse(raw ?? {}),
  facts: ({ host }) =>
    isRealServer(host)
      ? [factRequest(fileFact, DR_SYSCTL_FILE), factRequest(sysctlFact, ...Object.keys(DR_SYSCTLS))]
      : [],
  plan: ({ host, facts }): Plan => {
    if (!isRealServer(host)) return { changes: [], skipped: "not a real server" };
    const file = facts.get(factRequest(fileFact, DR_SYSCTL_FILE));
    const live = facts.get(factRequest(sysctlFact, ...Object.keys(DR_SYSCTLS)));
    const content = drSysctlContent();
    const changes: Change[] = [];
    if (file.content !== content || !sameMode("0644", file.mode)) {
      changes.push({
        kind: "file",
        summary: `write ${DR_SYSCTL_FILE}`,
        path: DR_SYSCTL_FILE,
        before: file.content,
        after: content,
        mode: "0644",
      });
    }
    const wrong = Object.entries(DR_SYSCTLS).filter(([k, v]) => live[k] !== v);
    if (wrong.length > 0) {
      changes.push({
        kind: "command",
        summary: `apply ${wrong.map(([k]) => k).join(", ")}`,
        command: {
          argv: ["sysctl", "-q", "-w", ...wrong.map(([k, v]) => `${k}=${v}`)],
          become: true,
          timeoutSec: 30,
        },
        before: wrong.map(([k]) => `${k} = ${live[k] ?? "(missing)"}`).join("\n"),
        after: wrong.map(([k, v]) => `${k} = ${v}`).join("\n"),
      });
    }
    return changes.length > 0 ? { changes } : unchanged("DR sysctls set and persisted");
  },
};
