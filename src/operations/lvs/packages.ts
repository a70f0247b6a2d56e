// Stage 1 — install packages. Already installed → no change and no package
// index refresh. Check mode lists what would be installed.
import { z } from "zod";
import { PACKAGE } from "../../config/charsets.js";
import { inCharset } from "../../config/validators.js";
import { cause } from "../../engine/cause.js";
import { factRequest, type Operation, type Plan, unchanged } from "../../engine/types.js";
import { firewalldFact } from "../../facts/firewalld.js";
import { nftablesFact } from "../../facts/nftables.js";
import { type OsFact, osFact } from "../../facts/os.js";
import { packagesFact } from "../../facts/packages.js";
import type { Host, Inventory } from "../../inventory/model.js";
import { backendFamily, isClient, isDirector, lvsOf } from "./shared.js";

const Args = z.strictObject({
  extra: z.array(inCharset(PACKAGE)).default([]),
});
type Args = z.infer<typeof Args>;

/** Every package this operation may ask for: one dpkg/rpm query covers all of them. */
export const PACKAGE_CANDIDATES = [
  "ipvsadm",
  "keepalived",
  "iptables",
  "ipset",
  "iptables-persistent",
  "netfilter-persistent",
  "iptables-services",
  "firewalld",
  "nftables",
  "curl",
];

/** Packages this host needs, by role and resolved persistence back-end. */
export function wantedPackages(
  host: Host,
  inv: Inventory,
  os: OsFact,
  backend: string,
  extra: readonly string[],
): string[] {
  const want: string[] = [];
  if (isDirector(host)) {
    want.push("ipvsadm", "keepalived", "iptables", "ipset");
    if (backend === "firewalld") want.push("firewalld");
    else if (backend === "nftables") want.push("nftables");
    else if (os.family === "rhel") want.push("iptables-services");
    else want.push("iptables-persistent", "netfilter-persistent");
  }
  if (isClient(host)) want.push("curl");
  void inv;
  return [...new Set([...want, ...extra])];
}

function installCommand(pm: OsFact["packageManager"], names: readonly string[]) {
  switch (pm) {
    case "apt":
      // Refresh the index only when something must be installed (this path).
      return {
        argv: [
          "sh",
          "-c",
          'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"',
          "lvsplay-install",
          ...names,
        ],
        become: true,
        timeoutSec: 900,
      };
    case "dnf":
    case "yum":
      return { argv: [pm, "install", "-y", ...names], become: true, timeoutSec: 900 };
    case "none":
      return undefined;
  }
}

/** The same request in facts() and plan(): candidates plus the task's extra packages. */
const installedRequest = (args: Args) =>
  factRequest(packagesFact, ...new Set([...PACKAGE_CANDIDATES, ...args.extra]));

export const packagesOperation: Operation<Args> = {
  name: "lvs.packages",
  description: "ensure ipvsadm, keepalived, iptables, ipset and the persistence package are installed",
  argsSchema: Args,
  parseArgs: (raw) => Args.parse(raw ?? {}),
  // The persistence back-end (firewalld, nftables) decides packages on directors
  // only: real servers and clients are not asked for it. Most hosts of a fleet are
  // real servers, and the nftables read alone (three systemctl calls and nft) was
  // ~20 ms of a real server's ~45 ms batch.
  facts: ({ host, args }) => [
    factRequest(osFact),
    ...(isDirector(host) ? [factRequest(firewalldFact), factRequest(nftablesFact)] : []),
    installedRequest(args),
  ],
  plan: ({ host, inventory, args, facts }): Plan => {
    const os = facts.get(factRequest(osFact));
    const backend =
      inventory.lvs && isDirector(host)
        ? backendFamily(lvsOf(inventory), {
            firewalld: facts.get(factRequest(firewalldFact)),
            nftables: facts.get(factRequest(nftablesFact)),
          })
        : "none";
    const installed = facts.get(installedRequest(args));
    const want = wantedPackages(host, inventory, os, backend, args.extra);
    if (want.length === 0) return { changes: [], skipped: "no packages needed for this host's roles" };
    const missing = want.filter((p) => !installed[p]);
    if (missing.length === 0) return unchanged(`installed: ${want.join(", ")}`);
    const command = installCommand(os.packageManager, missing);
    if (!command)
      return {
        changes: [],
        error: `no supported package manager (apt, dnf, yum) to install ${missing.join(", ")}`,
      };
    return {
      changes: [
        {
          kind: "command",
          cause: cause("package-missing", missing.join(", ")),
          summary: `install ${missing.join(", ")} (${os.packageManager})`,
          command,
          before: `missing: ${missing.join(", ")}`,
          after: `installed: ${want.join(", ")}`,
        },
      ],
    };
  },
};
