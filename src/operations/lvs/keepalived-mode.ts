// LAB CONCESSION support: on a kernel without IPVS keepalived exits entirely when
// its config has virtual_server blocks, unless it runs with -P (VRRP only). With
// `vrrp_only: true` this sets -P in the daemon options file; when vrrp_only is
// turned off again, a file we wrote is restored to the distribution default.
import { z } from "zod";
import { cause } from "../../engine/cause.js";
import { factRequest, type Operation, type Plan, unchanged } from "../../engine/types.js";
import { fileFact } from "../../facts/file.js";
import { osFact } from "../../facts/os.js";
import { isDirector, lvsOf } from "./shared.js";

const Args = z.strictObject({});

const MARKER = "# Managed by lvsplay";
const FILES = {
  debian: { path: "/etc/default/keepalived", variable: "DAEMON_ARGS", stock: "" },
  rhel: { path: "/etc/sysconfig/keepalived", variable: "KEEPALIVED_OPTIONS", stock: "-D" },
} as const;

export function daemonOptionsContent(family: keyof typeof FILES, vrrpOnly: boolean): string {
  const f = FILES[family];
  return vrrpOnly
    ? `${MARKER}: LAB CONCESSION vrrp_only — this kernel has no IPVS, keepalived runs VRRP only (-P).\n${f.variable}="${`${f.stock} -P`.trim()}"\n`
    : `${MARKER}: keepalived runs with its default options.\n${f.variable}="${f.stock}"\n`;
}

export const keepalivedModeOperation: Operation<z.infer<typeof Args>> = {
  name: "lvs.keepalived_mode",
  description: "vrrp_only lab concession: run keepalived with -P (VRRP only); restore defaults otherwise",
  parseArgs: (raw) => Args.parse(raw ?? {}),
  facts: ({ host }) =>
    isDirector(host)
      ? [
          factRequest(osFact),
          factRequest(fileFact, FILES.debian.path),
          factRequest(fileFact, FILES.rhel.path),
        ]
      : [],
  plan: ({ host, inventory, facts }): Plan => {
    if (!isDirector(host)) return { changes: [], skipped: "not a director" };
    const { vrrpOnly } = lvsOf(inventory);
    const os = facts.get(factRequest(osFact));
    if (os.family === "other") {
      return vrrpOnly
        ? {
            changes: [],
            error: "vrrp_only needs a Debian- or RHEL-family host (keepalived daemon options file)",
          }
        : unchanged();
    }
    const { path } = FILES[os.family];
    const current = facts.get(factRequest(fileFact, path));
    // Outside the lab concession, only a file lvsplay wrote is ever touched.
    if (!vrrpOnly && !current.content?.startsWith(MARKER))
      return unchanged("keepalived runs with the host's own options");
    const after = daemonOptionsContent(os.family, vrrpOnly);
    if (current.content === after) return unchanged(`${path} up to date`);
    return {
      changes: [
        {
          kind: "file",
          cause: cause("keepalived-options"),
          summary: `${vrrpOnly ? "run keepalived VRRP-only (-P)" : "restore keepalived options"} in ${path}`,
          path,
          before: current.content,
          after,
          mode: "0644",
          backup: current.exists,
        },
      ],
    };
  },
};
