// What a keepalived configuration holds, in the terms lvsplay needs to coexist
// with it: VRRP instances (name, VRID, interface, addresses), virtual servers
// (VIP:port, fwmark, group), global settings that lvsplay's own file must not
// contradict, and whether it runs scripts. Read from parsed statements (syntax.ts).
import { childrenNamed, childValue, type Statement, walk } from "./syntax.js";

export interface Where {
  readonly file: string;
  readonly line: number;
}

export interface InstanceInfo extends Where {
  readonly name: string;
  readonly vrid: number | null;
  readonly iface: string | null;
  /** IPv4/IPv6 addresses (no prefix) of virtual_ipaddress and virtual_ipaddress_excluded. */
  readonly addresses: readonly string[];
  readonly statement: Statement;
}

export type VirtualServerKey =
  | { readonly kind: "address"; readonly ip: string; readonly port: number; readonly protocol: string }
  | { readonly kind: "fwmark"; readonly mark: number }
  | { readonly kind: "group"; readonly group: string };

export interface VirtualServerInfo extends Where {
  readonly key: VirtualServerKey;
  readonly statement: Statement;
}

export interface SyncGroupInfo extends Where {
  readonly name: string;
  readonly members: readonly string[];
}

export interface GlobalSetting extends Where {
  readonly value: string;
}

export interface VirtualServerGroupInfo extends Where {
  readonly name: string;
  /** Members: `IP PORT` (and ranges, read as their first address) or `fwmark N`. */
  readonly members: readonly VirtualServerKey[];
}

export interface ConfigContent {
  readonly instances: readonly InstanceInfo[];
  readonly virtualServers: readonly VirtualServerInfo[];
  readonly virtualServerGroups: readonly VirtualServerGroupInfo[];
  readonly syncGroups: readonly SyncGroupInfo[];
  readonly vrrpScripts: readonly (Where & { readonly name: string })[];
  readonly globalDefs: readonly Statement[];
  readonly routerIds: readonly GlobalSetting[];
  /** `lvs_sync_daemon` lines: keepalived runs one IPVS sync daemon pair. */
  readonly syncDaemons: readonly GlobalSetting[];
  readonly scriptSecurity: boolean;
  /** Statements that make keepalived run a script (notify*, vrrp_script, MISC_CHECK, …). */
  readonly scriptUses: readonly (Where & { readonly keyword: string })[];
}

const SCRIPT_KEYWORDS = new Set([
  "notify",
  "notify_master",
  "notify_backup",
  "notify_fault",
  "notify_stop",
  "notify_deleted",
  "notify_master_rx_lower_pri",
  "notify_up",
  "notify_down",
  "quorum_up",
  "quorum_down",
  "vrrp_script",
  "MISC_CHECK",
  "startup_script",
  "shutdown_script",
]);

const where = (s: Statement): Where => ({ file: s.file, line: s.line });

/** `10.0.0.1/24 dev eth0 …` → `10.0.0.1`. */
const addressOf = (entry: Statement): string => (entry.keyword.split("/")[0] ?? "").toLowerCase();

function instanceOf(s: Statement): InstanceInfo {
  const vrid = Number(childValue(s, "virtual_router_id"));
  const addresses = ["virtual_ipaddress", "virtual_ipaddress_excluded"].flatMap((k) =>
    childrenNamed(s, k).flatMap((block) => (block.children ?? []).map(addressOf)),
  );
  return {
    ...where(s),
    name: s.args[0] ?? "",
    vrid: Number.isInteger(vrid) && vrid > 0 ? vrid : null,
    iface: childValue(s, "interface") ?? null,
    addresses,
    statement: s,
  };
}

/** `IP PORT`, `fwmark N` or `group NAME` (keepalived's forms of a virtual server's identity). */
function keyOf(words: readonly (string | undefined)[], protocol: string): VirtualServerKey | undefined {
  const [a, b] = words;
  if (a === undefined || b === undefined) return undefined;
  if (a === "fwmark") return Number.isInteger(Number(b)) ? { kind: "fwmark", mark: Number(b) } : undefined;
  if (a === "group") return { kind: "group", group: b };
  if (!Number.isInteger(Number(b))) return undefined;
  // A range `10.0.0.1-5` is read as its first address.
  return { kind: "address", ip: (a.split("-")[0] ?? a).toLowerCase(), port: Number(b), protocol };
}

function virtualServerOf(s: Statement): VirtualServerInfo | undefined {
  // keepalived's default: "no protocol set - defaulting to UDP" (check_data.c).
  const key = keyOf(s.args, (childValue(s, "protocol") ?? "UDP").toLowerCase());
  return key ? { ...where(s), key, statement: s } : undefined;
}

export function describeContent(statements: readonly Statement[]): ConfigContent {
  const top = statements;
  const globalDefs = top.filter((s) => s.keyword === "global_defs");
  const routerIds = globalDefs.flatMap((g) =>
    childrenNamed(g, "router_id").map((r) => ({ ...where(r), value: r.args[0] ?? "" })),
  );
  const syncDaemons = globalDefs.flatMap((g) =>
    childrenNamed(g, "lvs_sync_daemon").map((r) => ({ ...where(r), value: r.args.join(" ") })),
  );
  const scriptSecurity = globalDefs.some((g) => childrenNamed(g, "enable_script_security").length > 0);
  const scriptUses = [...walk(top)]
    .filter((s) => SCRIPT_KEYWORDS.has(s.keyword))
    .map((s) => ({ ...where(s), keyword: s.keyword }));
  return {
    instances: top.filter((s) => s.keyword === "vrrp_instance").map(instanceOf),
    virtualServers: top
      .filter((s) => s.keyword === "virtual_server")
      .map(virtualServerOf)
      .filter((v): v is VirtualServerInfo => v !== undefined),
    virtualServerGroups: top
      .filter((s) => s.keyword === "virtual_server_group")
      .map((s) => ({
        ...where(s),
        name: s.args[0] ?? "",
        members: (s.children ?? [])
          .map((m) => keyOf([m.keyword, ...m.args], "any"))
          .filter((k): k is VirtualServerKey => k !== undefined),
      })),
    syncGroups: top
      .filter((s) => s.keyword === "vrrp_sync_group")
      .map((s) => ({
        ...where(s),
        name: s.args[0] ?? "",
        members: childrenNamed(s, "group").flatMap((g) => (g.children ?? []).map((m) => m.keyword)),
      })),
    vrrpScripts: top
      .filter((s) => s.keyword === "vrrp_script")
      .map((s) => ({ ...where(s), name: s.args[0] ?? "" })),
    globalDefs,
    routerIds,
    syncDaemons,
    scriptSecurity,
    scriptUses,
  };
}

/** "file:line" for messages. */
export const at = (w: Where): string => `${w.file}:${w.line}`;

/** How a VRRP instance reads in a message. */
export const describeInstance = (i: InstanceInfo): string =>
  `vrrp_instance ${i.name} (VRID ${i.vrid ?? "?"} on ${i.iface ?? "?"}, holds ${i.addresses.join(", ")}) at ${at(i)}`;

/** How a virtual server reads in a message. */
export function describeVirtualServer(key: VirtualServerKey): string {
  switch (key.kind) {
    case "address":
      return `virtual_server ${key.ip} ${key.port} (${key.protocol})`;
    case "fwmark":
      return `virtual_server fwmark ${key.mark}`;
    case "group":
      return `virtual_server group ${key.group}`;
  }
}
