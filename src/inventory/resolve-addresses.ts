// DNS names in the inventory, resolved once per run before any host is
// contacted: SSH dials the address found (so a run never sees two answers for
// one name), and keepalived/iptables get an IPv4 address where they need one
// (`data_address` when set, else the resolved address). A name with several
// IPv4 addresses is an error: which one a director should use is not ours to guess.
import { lookup as dnsLookup } from "node:dns/promises";
import { isIPv4 } from "node:net";
import { UserError } from "../errors.js";
import type { Host, Inventory } from "./model.js";

/** IPv4 addresses of a name (the system resolver: /etc/hosts, DNS, as nsswitch.conf says). */
export type Lookup = (name: string) => Promise<readonly string[]>;

export const systemLookup: Lookup = async (name) => {
  const found = await dnsLookup(name, { all: true, family: 4 });
  return [...new Set(found.map((a) => a.address))];
};

export class AddressResolutionError extends UserError {
  override readonly name = "AddressResolutionError";
  constructor(readonly problems: readonly string[]) {
    super("invalid-input", problems.length === 1 ? (problems[0] ?? "") : `\n  ${problems.join("\n  ")}`);
  }
}

const tunnelled = (host: Host) =>
  host.connection.jump !== undefined || (host.connection.proxyJump?.length ?? 0) > 0;

/**
 * The inventory with every DNS-name address resolved. Hosts reached through a
 * jump host that have a data_address are left alone: their jump host resolves
 * the name, as `ssh -J` does, and it may not resolve here at all.
 */
export async function resolveAddresses(
  inventory: Inventory,
  lookup: Lookup = systemLookup,
): Promise<Inventory> {
  const pending = new Map<string, Promise<readonly string[] | Error>>();
  const resolveOnce = (name: string) => {
    let answer = pending.get(name);
    if (!answer) {
      answer = lookup(name).catch((error: unknown) =>
        error instanceof Error ? error : new Error(String(error)),
      );
      pending.set(name, answer);
    }
    return answer;
  };
  const problems: string[] = [];
  const hosts = await Promise.all(
    inventory.hosts.map(async (host): Promise<Host> => {
      const name = host.connection.address;
      if (isIPv4(name) || (tunnelled(host) && host.dataAddress !== undefined)) return host;
      const answer = await resolveOnce(name);
      const where = `host ${host.name}: address ${name}`;
      if (answer instanceof Error) {
        const code = (answer as NodeJS.ErrnoException).code;
        const reason =
          code === "ENOTFOUND" || code === "ENODATA"
            ? "has no IPv4 address"
            : `cannot be resolved (${answer.message})`;
        const hint = tunnelled(host)
          ? " (reached through a jump host: set data_address to skip resolving it here)"
          : "";
        problems.push(`${where} ${reason}${hint}`);
        return host;
      }
      if (answer.length !== 1) {
        problems.push(
          answer.length === 0
            ? `${where} has no IPv4 address`
            : `${where} resolves to several IPv4 addresses (${answer.join(", ")}); lvsplay needs exactly one: ` +
                "use one of them as address, or a name with one address",
        );
        return host;
      }
      const ip = answer[0] ?? "";
      return {
        ...host,
        connection: { ...host.connection, resolvedAddress: ip },
        dataAddress: host.dataAddress ?? ip,
      };
    }),
  );
  const vips = new Set(inventory.lvs?.services.map((s) => s.vip) ?? []);
  for (const host of hosts) {
    const ip = host.connection.resolvedAddress;
    if (ip !== undefined && vips.has(ip))
      problems.push(
        `host ${host.name}: address ${host.connection.address} resolves to ${ip}, which is a VIP`,
      );
  }
  if (problems.length > 0) throw new AddressResolutionError(problems);
  return { ...inventory, hosts };
}
