// Stage 5 — keepalived.conf with fwmark virtual servers. Installed safely:
// temp file → `keepalived -t -f` on the host → backup → atomic rename; the
// reload handler is notified only when the content changed.
import { z } from "zod";
import { REMOTE_PATH } from "../../config/charsets.js";
import { inCharset } from "../../config/validators.js";
import { cause } from "../../engine/cause.js";
import type { DataReader } from "../../engine/data.js";
import { factRequest, type Operation, type Plan } from "../../engine/types.js";
import { fileFact, sameMode } from "../../facts/file.js";
import {
  buildKeepalivedConfig,
  renderKeepalivedConf,
  resolveRealServers,
  topologyGuard,
} from "../../lvs/index.js";
import { DATA_PLANE, directorsOf, MARK_PLAN, selfOf } from "./data-keys.js";
import { discoveredDirectors, isDirector, lvsOf, missingPeersError } from "./shared.js";

const Args = z.strictObject({
  path: inCharset(REMOTE_PATH).default("/etc/keepalived/keepalived.conf"),
});
type Args = z.infer<typeof Args>;

/** The rendered keepalived.conf for a director, from the inventory and the directors' data. */
export function renderFor(
  hostName: string,
  inventory: Parameters<typeof buildKeepalivedConfig>[0],
  data: DataReader,
): { content: string } | { error: string } {
  const { directors, missing } = discoveredDirectors(inventory, data);
  if (missing.length > 0) return { error: missingPeersError(missing) };
  const marks = data.get(MARK_PLAN, hostName);
  if (!marks) return { error: "no fwmarks were planned for this host (the marks stage did not succeed)" };
  const realServers = resolveRealServers(inventory, directors);
  const cfg = buildKeepalivedConfig(inventory, hostName, directors, marks.marks, realServers);
  return { content: renderKeepalivedConf(cfg) };
}

/** What rendering a director's keepalived.conf needs: every director's data plane, its own marks. */
export const keepalivedNeeds = (host: string, inventory: Parameters<typeof directorsOf>[1]) => [
  directorsOf(DATA_PLANE, inventory),
  selfOf(MARK_PLAN, host),
];

export const keepalivedOperation: Operation<Args> = {
  name: "lvs.keepalived",
  description:
    "render keepalived.conf (VRRP + fwmark virtual servers), validate on the host, install atomically",
  parseArgs: (raw) => Args.parse(raw ?? {}),
  facts: ({ host, args }) => (isDirector(host) ? [factRequest(fileFact, args.path)] : []),
  consumes: ({ host, inventory }) => (isDirector(host) ? keepalivedNeeds(host.name, inventory) : []),
  plan: ({ host, inventory, args, facts, data }): Plan => {
    if (!isDirector(host)) return { changes: [], skipped: "not a director" };
    lvsOf(inventory);
    const guard = topologyGuard(inventory);
    if (guard.errors.length > 0) return { changes: [], error: guard.errors.join("; ") };
    const rendered = renderFor(host.name, inventory, data);
    if ("error" in rendered) return { changes: [], error: rendered.error };
    const current = facts.get(factRequest(fileFact, args.path));
    const notes = guard.warnings.map((w) => `WARNING: ${w}`);
    if (current.content === rendered.content && sameMode("0640", current.mode)) {
      return { changes: [], notes: [...notes, `${args.path} is up to date`] };
    }
    return {
      changes: [
        {
          kind: "file",
          cause: cause("keepalived-config"),
          summary: `install ${args.path}`,
          path: args.path,
          before: current.content,
          after: rendered.content,
          mode: "0640",
          // keepalived -t returns 0 for a missing or empty file; the installer only validates a written temp file.
          validate: ["keepalived", "-t", "-f", "{}"],
          backup: current.exists,
        },
      ],
      notes,
    };
  },
};
