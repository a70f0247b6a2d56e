// DR real-server sysctls: never answer ARP for the VIP held on lo
// (arp_ignore=1) and never announce it as a source (arp_announce=2).
// Written under /etc/sysctl.d/ and applied live.
import { z } from "zod";
import { factRequest, type Operation, type Plan, unchanged } from "../../engine/types.js";
import { fileFact } from "../../facts/file.js";
import { sysctlFact } from "../../facts/sysctl.js";
import { isRealServer } from "./shared.js";
import { sysctlChanges, sysctlFileContent } from "./sysctl-plan.js";

const Args = z.strictObject({});

export const DR_SYSCTL_FILE = "/etc/sysctl.d/90-lvsplay-dr.conf";
export const DR_SYSCTLS: Readonly<Record<string, string>> = {
  "net.ipv4.conf.all.arp_ignore": "1",
  "net.ipv4.conf.all.arp_announce": "2",
  "net.ipv4.conf.lo.arp_ignore": "1",
  "net.ipv4.conf.lo.arp_announce": "2",
};

const DR_TARGET = {
  path: DR_SYSCTL_FILE,
  purpose: "LVS-DR real server ARP behaviour (VIP on lo must not answer ARP)",
  values: DR_SYSCTLS,
  causes: { live: "dr-sysctl-live", persisted: "dr-sysctl-persisted" },
} as const;

export const drSysctlContent = (): string => sysctlFileContent(DR_TARGET);

export const drSysctlOperation: Operation<z.infer<typeof Args>> = {
  name: "lvs.dr_sysctl",
  description: "persist and apply arp_ignore=1 / arp_announce=2 on real servers",
  argsSchema: Args,
  parseArgs: (raw) => Args.parse(raw ?? {}),
  facts: ({ host }) =>
    isRealServer(host)
      ? [factRequest(fileFact, DR_SYSCTL_FILE), factRequest(sysctlFact, ...Object.keys(DR_SYSCTLS))]
      : [],
  plan: ({ host, facts }): Plan => {
    if (!isRealServer(host)) return { changes: [], skipped: "not a real server" };
    const changes = sysctlChanges(
      DR_TARGET,
      facts.get(factRequest(fileFact, DR_SYSCTL_FILE)),
      facts.get(factRequest(sysctlFact, ...Object.keys(DR_SYSCTLS))),
    );
    return changes.length > 0 ? { changes } : unchanged("DR sysctls set and persisted");
  },
};
