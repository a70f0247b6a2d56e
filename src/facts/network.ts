// Interfaces, addresses and routes from iproute2's JSON output.
import type { Fact } from "../engine/types.js";

export interface Interface {
  readonly name: string;
  readonly mac: string;
  readonly up: boolean;
  /** IPv4 addresses with prefix, e.g. "7.7.7.11/24". */
  readonly ipv4: readonly string[];
  /** Kind from `ip -d` linkinfo (bridge, bond, vlan, veth, macvlan …) or "" for plain NICs. */
  readonly kind: string;
}

export interface Route {
  readonly dst: string;
  readonly dev: string;
  readonly gateway?: string;
  readonly prefsrc?: string;
}

export interface NetworkFact {
  readonly interfaces: readonly Interface[];
  readonly routes: readonly Route[];
}

const PROBE = "ip -j -d addr show && echo && ip -j -4 route show table main";

interface RawAddr {
  ifname: string;
  address?: string;
  flags?: string[];
  operstate?: string;
  linkinfo?: { info_kind?: string };
  addr_info?: Array<{ family: string; local: string; prefixlen: number }>;
}

export function parseNetwork(stdout: string): NetworkFact {
  const [addrJson = "[]", routeJson = "[]"] = stdout.split(/\n\s*\n/).map((s) => s.trim());
  const addrs = JSON.parse(addrJson || "[]") as RawAddr[];
  const routes = JSON.parse(routeJson || "[]") as Array<Record<string, string>>;
  return {
    interfaces: addrs.map((a) => ({
      name: a.ifname,
      mac: (a.address ?? "").toLowerCase(),
      up: (a.flags ?? []).includes("UP"),
      ipv4: (a.addr_info ?? []).filter((x) => x.family === "inet").map((x) => `${x.local}/${x.prefixlen}`),
      kind: a.linkinfo?.info_kind ?? "",
    })),
    routes: routes.map((r) => ({
      dst: r["dst"] ?? "",
      dev: r["dev"] ?? "",
      ...(r["gateway"] ? { gateway: r["gateway"] } : {}),
      ...(r["prefsrc"] ? { prefsrc: r["prefsrc"] } : {}),
    })),
  };
}

export const networkFact: Fact<NetworkFact> = {
  name: "network",
  command: () => ({ argv: ["sh", "-c", PROBE] }),
  parse: (r) => {
    if (r.code !== 0) throw new Error(r.stderr.trim() || `ip exited ${r.code}`);
    return parseNetwork(r.stdout);
  },
};
