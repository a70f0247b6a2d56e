// ssh_config applied to inventory hosts, checked against OpenSSH itself: for
// each case `ssh -G` (the real client's computed configuration) must agree
// with what lvsplay computed from the same file.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { homedir, userInfo } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseInventory } from "../../src/inventory/load.js";
import type { HostConnection } from "../../src/inventory/model.js";
import { problemLines, yaml } from "../config/problem-lines.js";

const dir = mkdtempSync(path.join("/tmp", "lvsplay-sshcfg-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, ...lines: string[]): string {
  const p = path.join(dir, name);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, `${lines.join("\n")}\n`);
  return p;
}

const CONFIG = file(
  "config",
  "Host web1",
  "  HostName 192.0.2.21",
  "  User deploy",
  "  Port 2201",
  `  IdentityFile ${dir}/keys/a`,
  `  IdentityFile ${dir}/keys/b`,
  "  IdentitiesOnly yes",
  "Host db-*.internal !db-9.internal",
  "  HostName %h.example.net",
  "  ProxyJump ops@bastion1:2222,bastion2",
  "Host bastion1",
  "  HostName 198.51.100.1",
  "  User jumper",
  "Host bastion2",
  "  HostName 198.51.100.2",
  "  Port 2022",
  "Host aliased",
  "  HostName Lb-A.Example.Net",
  "  HostKeyAlias lb-a-key",
  `  UserKnownHostsFile ${dir}/kh1 ${dir}/kh2`,
  "Host old",
  "  ProxyCommand nc %h %p",
  "Host direct",
  "  ProxyJump none",
  "  ProxyCommand nc %h %p",
  "Host cmd-first",
  "  ProxyCommand nc %h %p",
  "  ProxyJump bastion1",
  "Host jump-first",
  "  ProxyJump bastion1",
  "  ProxyCommand nc %h %p",
  `Include ${dir}/conf.d/*.conf`,
  "Host *",
  "  User fallback",
  "  Port 2299",
  "  ConnectTimeout 7",
);
file("conf.d/10-lab.conf", "Host lab-*", "  HostName 10.9.9.9", "  User labuser");

/** `ssh -G` for an alias: the real client's view (lower-case keys, first value, identityfile repeated). */
function sshG(alias: string, configFile = CONFIG): Map<string, string[]> {
  const out = execFileSync("ssh", ["-G", "-F", configFile, alias], { encoding: "utf8" });
  const values = new Map<string, string[]>();
  for (const line of out.split("\n")) {
    const [key, ...rest] = line.split(" ");
    if (!key) continue;
    values.set(key, [...(values.get(key) ?? []), rest.join(" ")]);
  }
  return values;
}

function connection(
  hosts: Record<string, string>,
  name: string,
  sshConfig = CONFIG,
  extra: string[] = [],
): HostConnection {
  const lines = ["hosts:", ...Object.entries(hosts).map(([n, body]) => `  ${n}: ${body}`), ...extra];
  const inv = parseInventory(yaml(...lines), path.join(dir, "inventory.yaml"), {
    sshConfig: { kind: "file", file: sshConfig },
  });
  const host = inv.hosts.find((h) => h.name === name);
  if (!host) throw new Error(`no host ${name}`);
  return host.connection;
}

describe("ssh_config as OpenSSH computes it", () => {
  it.each(["web1", "db-1.internal", "aliased", "lab-7", "somewhere.example"])(
    "%s: HostName, User, Port, keys, known_hosts, alias and ProxyJump agree with ssh -G",
    (alias) => {
      const g = sshG(alias);
      const c = connection({ x: `{ address: ${alias} }` }, "x");
      expect(c.address).toBe(g.get("hostname")?.[0]);
      expect(c.port).toBe(Number(g.get("port")?.[0]));
      // lvsplay's default user is root where ssh's is the local user.
      const gUser = g.get("user")?.[0];
      expect(c.user).toBe(
        gUser === userInfo().username && alias === "somewhere.example" ? "fallback" : gUser,
      );
      expect(c.hostKeyAlias).toBe(g.get("hostkeyalias")?.[0]);
      const gKnown = g
        .get("userknownhostsfile")?.[0]
        ?.split(" ")
        .map((f) => f.replace(/^~/, homedir()));
      expect(c.knownHostsFiles).toEqual(gKnown);
      expect(c.identitiesOnly === true).toBe(g.get("identitiesonly")?.[0] === "yes");
      const gJump = g.get("proxyjump")?.[0];
      expect(c.proxyJump?.map((h) => h.spec).join(",")).toBe(gJump);
      const gKeys = g.get("identityfile") ?? [];
      // ssh -G lists its default key files with ~ unexpanded when none is configured.
      if (gKeys.every((k) => k.startsWith("~/.ssh/id_")))
        expect(c.identityFiles.every((f) => f.startsWith(`${homedir()}/.ssh/id_`))).toBe(true);
      else expect(c.identityFiles).toEqual(gKeys);
      expect(c.connectTimeoutSec).toBe(Number(g.get("connecttimeout")?.[0] ?? 10));
    },
  );

  it("resolves each ProxyJump hop through ssh_config, the spec's user@host:port winning", () => {
    const c = connection({ db: "{ address: db-1.internal }" }, "db");
    expect(c.address).toBe("db-1.internal.example.net");
    expect(c.proxyJump?.map((h) => [h.spec, h.user, h.address, h.port])).toEqual([
      ["ops@bastion1:2222", "ops", "198.51.100.1", 2222],
      // bastion2 has no User of its own: "Host *" gives fallback.
      ["bastion2", "fallback", "198.51.100.2", 2022],
    ]);
    for (const hop of c.proxyJump ?? []) {
      const g = sshG(hop.spec.replace(/^.*@/, "").replace(/:\d+$/, ""));
      expect(hop.address).toBe(g.get("hostname")?.[0]);
    }
  });

  it("inventory values win over ssh_config; a host without address is looked up by its name", () => {
    const c = connection({ web1: "{ user: admin, port: 22, identity: /keys/inv }" }, "web1");
    expect(c).toMatchObject({ address: "192.0.2.21", user: "admin", port: 22, identityFiles: ["/keys/inv"] });
    expect(c.sshConfigHost).toBe("web1");
    // The inventory's jump wins over ProxyJump.
    const jumped = connection(
      { b: "{ address: 203.0.113.5 }", db: "{ address: db-1.internal, jump: b }" },
      "db",
    );
    expect(jumped.jump).toBe("b");
    expect(jumped.proxyJump).toBeUndefined();
  });

  it("%h in HostName is the name given; negated patterns exclude a host", () => {
    expect(connection({ x: "{ address: db-3.internal }" }, "x").address).toBe("db-3.internal.example.net");
    // db-9.internal is excluded by !db-9.internal: only Host * applies.
    const nine = connection({ x: "{ address: db-9.internal }" }, "x");
    expect(nine.address).toBe("db-9.internal");
    expect(nine.proxyJump).toBeUndefined();
    expect(sshG("db-9.internal").get("hostname")?.[0]).toBe("db-9.internal");
  });

  it("refuses a ProxyCommand in effect, with the host's position; the first of ProxyJump/ProxyCommand wins", () => {
    expect(
      problemLines(() =>
        parseInventory(yaml("hosts:", "  legacy: { address: old }"), path.join(dir, "inv.yaml"), {
          sshConfig: { kind: "file", file: CONFIG },
        }),
      ),
    ).toEqual([
      `${path.join(dir, "inv.yaml")}:2:3: hosts.legacy: ssh_config gives old a ProxyCommand (nc %h %p); lvsplay speaks SSH itself and cannot run proxy commands: use ProxyJump (or the inventory's jump:) instead`,
    ]);
    // As in ssh: "ProxyJump none" does not stop a later ProxyCommand; whichever is set first wins.
    expect(() => connection({ d: "{ address: direct }" }, "d")).toThrow(/a ProxyCommand/);
    expect(() => connection({ d: "{ address: cmd-first }" }, "d")).toThrow(/a ProxyCommand/);
    expect(connection({ d: "{ address: jump-first }" }, "d").proxyJump?.map((h) => h.spec)).toEqual([
      "bastion1",
    ]);
    for (const [alias, key] of [
      ["direct", "proxycommand"],
      ["cmd-first", "proxycommand"],
      ["jump-first", "proxyjump"],
    ]) {
      expect(sshG(alias ?? "").has(key ?? ""), `${alias}: ssh -G has ${key}`).toBe(true);
    }
  });

  it("expands %d, %h, %r, %p, %n and ~ in IdentityFile; an unknown token is an error", () => {
    const cfg = file(
      "tokens",
      "Host tok",
      "  HostName 192.0.2.9",
      "  User ann",
      "  IdentityFile ~/k/%h-%r-%p-%n",
      "  IdentityFile %d/other",
      "Host bad",
      "  IdentityFile ~/k/%Q",
    );
    expect(connection({ t: "{ address: tok }" }, "t", cfg).identityFiles).toEqual([
      `${homedir()}/k/192.0.2.9-ann-22-tok`,
      `${homedir()}/other`,
    ]);
    expect(() => connection({ t: "{ address: bad }" }, "t", cfg)).toThrow(/unsupported token %Q/);
  });

  it("HostName, User and ProxyJump hops from ssh_config are held to the same character sets as the inventory", () => {
    const cfg = file(
      "charsets",
      "Host bad-name",
      "  HostName evil$(id).example",
      "Host bad-user",
      "  User 'x y'",
      "Host bad-hop",
      "  ProxyJump ok@bastion,b{ad}",
    );
    expect(() => connection({ t: "{ address: bad-name }" }, "t", cfg)).toThrow(
      /HostName: expected an IPv4 address or a host name .*"\$" is not allowed/,
    );
    expect(() => connection({ t: "{ address: bad-user }" }, "t", cfg)).toThrow(/User: expected a user name/);
    expect(() => connection({ t: "{ address: bad-hop }" }, "t", cfg)).toThrow(
      /jump host "b\{ad\}": expected an IPv4 address or a host name/,
    );
  });

  it("an Include inside a Host section applies only to that section and does not swallow the rest of it", () => {
    const inc = file("inc/part.conf", "Host other", "  User otheruser");
    const cfg = file(
      "include-in-host",
      "Host outer",
      `  Include ${inc}`,
      "  HostName 192.0.2.77",
      "Host *",
      "  User u",
    );
    const c = connection({ o: "{ address: outer }" }, "o", cfg);
    expect(c.address).toBe("192.0.2.77");
    expect(sshG("outer", cfg).get("hostname")?.[0]).toBe("192.0.2.77");
    expect(c.user).toBe(sshG("outer", cfg).get("user")?.[0]);
    // "other" is only defined inside Host outer: ssh does not see it for "other" itself.
    expect(connection({ o: "{ address: other }" }, "o", cfg).user).toBe("u");
    expect(sshG("other", cfg).get("user")?.[0]).toBe("u");
  });

  it("an ssh_config key in the inventory is read relative to it; -F wins; a missing file is reported", () => {
    const inv = (source: string, options = {}) => parseInventory(source, path.join(dir, "inv.yaml"), options);
    const viaKey = inv(yaml("ssh_config: config", "hosts:", "  web1: {}"));
    expect(viaKey.hosts[0]?.connection.address).toBe("192.0.2.21");
    const none = inv(yaml("ssh_config: config", "hosts:", "  web1: {}"), { sshConfig: { kind: "none" } });
    expect(none.hosts[0]?.connection.address).toBe("web1");
    expect(problemLines(() => inv(yaml("ssh_config: nope", "hosts:", "  a: {}")))).toEqual([
      `${path.join(dir, "inv.yaml")}:1:13: ssh_config: cannot read ssh_config ${path.join(dir, "nope")}: file not found`,
    ]);
  });
});
