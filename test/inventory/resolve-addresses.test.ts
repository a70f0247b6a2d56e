import { describe, expect, it } from "vitest";
import { parseInventory } from "../../src/inventory/load.js";
import {
  AddressResolutionError,
  resolveAddresses,
  systemLookup,
} from "../../src/inventory/resolve-addresses.js";
import { yaml } from "../config/problem-lines.js";

const inv = (...lines: string[]) =>
  parseInventory(yaml(...lines), "/tmp/inv.yaml", { sshConfig: { kind: "none" } });

/** A resolver that counts its lookups. */
function table(entries: Record<string, string[]>) {
  const asked: string[] = [];
  const lookup = async (name: string) => {
    asked.push(name);
    const found = entries[name];
    if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: "ENOTFOUND" });
    return found;
  };
  return { lookup, asked };
}

describe("DNS names in the inventory", () => {
  it("resolves each name once per run; SSH dials the address, the data plane uses it unless data_address is set", async () => {
    const { lookup, asked } = table({ "web.example": ["192.0.2.10"], "db.example": ["192.0.2.20"] });
    const out = await resolveAddresses(
      inv(
        "hosts:",
        "  web: { address: web.example }",
        "  web2: { address: web.example, port: 2222 }",
        "  db: { address: db.example, data_address: 10.0.0.20 }",
        "  ip: { address: 192.0.2.30 }",
      ),
      lookup,
    );
    expect(asked.sort()).toEqual(["db.example", "web.example"]);
    const host = (name: string) => out.hosts.find((h) => h.name === name);
    expect(host("web")?.connection).toMatchObject({ address: "web.example", resolvedAddress: "192.0.2.10" });
    expect(host("web")?.dataAddress).toBe("192.0.2.10");
    expect(host("db")?.dataAddress).toBe("10.0.0.20");
    expect(host("ip")?.connection.resolvedAddress).toBeUndefined();
  });

  it("a name with several IPv4 addresses, or none, is an error naming them; nothing else is contacted", async () => {
    const { lookup } = table({ "multi.example": ["192.0.2.1", "192.0.2.2"] });
    const error = await resolveAddresses(
      inv("hosts:", "  a: { address: multi.example }", "  b: { address: gone.example }"),
      lookup,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AddressResolutionError);
    expect((error as AddressResolutionError).problems).toEqual([
      "host a: address multi.example resolves to several IPv4 addresses (192.0.2.1, 192.0.2.2); lvsplay needs exactly one: use one of them as address, or a name with one address",
      "host b: address gone.example has no IPv4 address",
    ]);
  });

  it("a tunnelled host with a data_address is left to its jump host to resolve; without one it must resolve here", async () => {
    const { lookup, asked } = table({});
    const lines = ["hosts:", "  bastion: { address: 192.0.2.1 }"];
    const ok = await resolveAddresses(
      inv(...lines, "  in: { address: in.internal, jump: bastion, data_address: 10.1.0.5 }"),
      lookup,
    );
    expect(asked).toEqual([]);
    expect(ok.hosts[1]?.connection.resolvedAddress).toBeUndefined();
    await expect(
      resolveAddresses(inv(...lines, "  in: { address: in.internal, jump: bastion }"), lookup),
    ).rejects.toThrow(
      /host in: address in.internal has no IPv4 address \(reached through a jump host: set data_address/,
    );
  });

  it("a name resolving to a VIP is refused", async () => {
    const { lookup } = table({ "ds1.example": ["192.0.2.100"] });
    const source = [
      "hosts:",
      "  ds1: { address: ds1.example, groups: [directors] }",
      "lvs:",
      "  vrrp: { virtual_router_id: 5, order: [ds1] }",
      "  services: [{ name: web, vip: 192.0.2.100, port: 80 }]",
    ];
    await expect(resolveAddresses(inv(...source), lookup)).rejects.toThrow(
      /resolves to 192.0.2.100, which is a VIP/,
    );
  });

  it("the system resolver answers localhost with 127.0.0.1 only (IPv4)", async () => {
    expect(await systemLookup("localhost")).toEqual(["127.0.0.1"]);
  });
});
