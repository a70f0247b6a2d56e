// SSH like OpenSSH, against real sshd processes and with the real `ssh` client
// as the oracle: hosts reached through ssh_config aliases, the known_hosts name
// (HostName, port, HostKeyAlias, DNS names), ProxyJump chains of jump hosts that
// are not inventory hosts (one connection per hop per run), the agent used by
// default when SSH_AUTH_SOCK is set, and a passphrase from the environment.
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { appendFileSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadInventory } from "../../src/inventory/load.js";
import type { Inventory } from "../../src/inventory/model.js";
import { resolveAddresses } from "../../src/inventory/resolve-addresses.js";
import { SshConnector } from "../../src/transport/ssh.js";
import { withPrivateHosts, writeHostsFile } from "../support/private-hosts.js";
import { startSshd, type TestSshd } from "../support/sshd.js";

let work: string;
let alpha: TestSshd;
let hop1: TestSshd;
let hop2: TestSshd;
let t1: TestSshd;
let t2: TestSshd;
let agent: ChildProcess | undefined;
let agentSock: string;

const hostKeyLine = (s: TestSshd) => s.hostKeyPub.split(" ").slice(0, 2).join(" ");

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), "lvsplay-sshcfg-"));
  [alpha, hop1, t1, t2] = await Promise.all([startSshd(), startSshd(), startSshd(), startSshd()]);
  // hop2 only forwards to the targets: without the tunnel through it nothing reaches them that way.
  hop2 = await startSshd({
    extraConfig: [`PermitOpen ${t1.address}:${t1.port} ${t2.address}:${t2.port}`],
  });
  agentSock = path.join(work, "agent.sock");
  agent = spawn("ssh-agent", ["-D", "-a", agentSock], { stdio: "ignore" });
  for (let i = 0; i < 200 && spawnSync("test", ["-S", agentSock]).status !== 0; i++)
    await new Promise((r) => setTimeout(r, 25));
});

afterAll(async () => {
  if (agent?.pid !== undefined) process.kill(agent.pid, "SIGTERM");
  await Promise.all([alpha, hop1, hop2, t1, t2].map((s) => s?.stop()));
  rmSync(work, { recursive: true, force: true });
});

function write(name: string, text: string): string {
  const file = path.join(work, name);
  writeFileSync(file, text);
  return file;
}

/** ssh_config block for a test sshd under an alias. */
function hostBlock(alias: string, s: TestSshd, extra: string[] = [], knownHosts?: string): string {
  return [
    `Host ${alias}`,
    `  HostName ${s.address}`,
    `  Port ${s.port}`,
    "  User root",
    `  IdentityFile ${s.keyFile}`,
    `  UserKnownHostsFile ${knownHosts ?? s.knownHostsFile}`,
    ...extra.map((l) => `  ${l}`),
    "",
  ].join("\n");
}

/** The real client's verdict: can `ssh -F config alias` log in (strict host key checking)? */
function opensshAccepts(
  config: string,
  alias: string,
  wrap: (argv: string[]) => string[] = (a) => a,
): boolean {
  const argv = wrap([
    "ssh",
    "-F",
    config,
    "-o",
    "BatchMode=yes",
    "-o",
    "StrictHostKeyChecking=yes",
    alias,
    "true",
  ]);
  const r = spawnSync(argv[0] ?? "", argv.slice(1), { encoding: "utf8", timeout: 60_000 });
  return r.status === 0;
}

function inventoryFile(name: string, hosts: Record<string, string>): string {
  return write(
    name,
    `hosts:\n${Object.entries(hosts)
      .map(([h, body]) => `  ${h}: ${body}`)
      .join("\n")}\n`,
  );
}

async function lvsplayAccepts(inv: Inventory, host: string): Promise<{ ok: boolean; error?: string }> {
  const connector = new SshConnector(inv);
  try {
    const t = await connector.connect(host);
    const r = await t.run({ argv: ["true"] });
    return { ok: r.code === 0 };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  } finally {
    await connector.closeAll();
  }
}

describe("known_hosts is looked up under the name OpenSSH uses", () => {
  const cases: { name: string; known: (s: TestSshd) => string; extra?: string[]; accept: boolean }[] = [
    { name: "[HostName]:port", known: (s) => `[${s.address}]:${s.port} ${hostKeyLine(s)}`, accept: true },
    // ssh retries "without port identifier" when nothing is recorded with the port.
    { name: "HostName without the port", known: (s) => `${s.address} ${hostKeyLine(s)}`, accept: true },
    {
      name: "another key without the port is not a match",
      known: (s) => `${s.address} ${hostKeyLine(t1)}`,
      accept: false,
    },
    {
      name: "the port entry wins over one without it",
      known: (s) => `[${s.address}]:${s.port} ${hostKeyLine(t1)}\n${s.address} ${hostKeyLine(s)}`,
      accept: false,
    },
    { name: "the ssh_config alias", known: (s) => `[alpha]:${s.port} ${hostKeyLine(s)}`, accept: false },
    {
      name: "HostKeyAlias, no port added",
      known: (s) => `lvs-alpha ${hostKeyLine(s)}`,
      extra: ["HostKeyAlias lvs-alpha"],
      accept: true,
    },
    {
      name: "HostKeyAlias with a port is not the alias",
      known: (s) => `[lvs-alpha]:${s.port} ${hostKeyLine(s)}`,
      extra: ["HostKeyAlias lvs-alpha"],
      accept: false,
    },
    {
      name: "HostKeyAlias replaces the HostName entry",
      known: (s) => `[${s.address}]:${s.port} ${hostKeyLine(s)}`,
      extra: ["HostKeyAlias lvs-alpha"],
      accept: false,
    },
    {
      name: "another key under the right name",
      known: (s) => `[${s.address}]:${s.port} ${hostKeyLine(t1)}`,
      accept: false,
    },
  ];
  it.each(cases)("$name: ssh and lvsplay agree ($accept)", async ({ name, known, extra, accept }) => {
    const slug = name.replace(/\W+/g, "-");
    const kh = write(`kh-${slug}`, `${known(alpha)}\n`);
    const config = write(`cfg-${slug}`, hostBlock("alpha", alpha, extra ?? [], kh));
    const inv = loadInventory(inventoryFile(`inv-${slug}.yaml`, { a: "{ address: alpha }" }), {
      sshConfig: { kind: "file", file: config },
    });
    expect(opensshAccepts(config, "alpha"), "OpenSSH's verdict").toBe(accept);
    const ours = await lvsplayAccepts(inv, "a");
    expect(ours.ok, ours.error).toBe(accept);
    if (!accept) expect(ours.error).toMatch(/not in|HOST KEY MISMATCH/);
  });

  it("a DNS name is looked up as the name (not its address), resolved by the system resolver", async () => {
    const hosts = writeHostsFile(path.join(work, "hosts"), [[alpha.address, "alpha.lab.test"]]);
    const kh = write("kh-dns", `[alpha.lab.test]:${alpha.port} ${hostKeyLine(alpha)}\n`);
    const config = write(
      "cfg-dns",
      hostBlock("alpha.lab.test", alpha, [], kh).replace(/ {2}HostName .*\n/, ""),
    );
    expect(opensshAccepts(config, "alpha.lab.test", (argv) => withPrivateHosts(hosts, argv))).toBe(true);
    // The address known only under its IP: both refuse.
    const khIp = write("kh-dns-ip", `[${alpha.address}]:${alpha.port} ${hostKeyLine(alpha)}\n`);
    const configIp = write(
      "cfg-dns-ip",
      hostBlock("alpha.lab.test", alpha, [], khIp).replace(/ {2}HostName .*\n/, ""),
    );
    expect(opensshAccepts(configIp, "alpha.lab.test", (argv) => withPrivateHosts(hosts, argv))).toBe(false);

    const lookup = async (name: string) => (name === "alpha.lab.test" ? [alpha.address] : []);
    for (const [cfg, accept] of [
      [config, true],
      [configIp, false],
    ] as const) {
      const inv = await resolveAddresses(
        loadInventory(inventoryFile("inv-dns.yaml", { a: "{ address: alpha.lab.test }" }), {
          sshConfig: { kind: "file", file: cfg },
        }),
        lookup,
      );
      expect(inv.hosts[0]?.connection.resolvedAddress).toBe(alpha.address);
      expect(inv.hosts[0]?.dataAddress).toBe(alpha.address);
      expect((await lvsplayAccepts(inv, "a")).ok).toBe(accept);
    }
  });
});

describe("ProxyJump chains", () => {
  let config: string;
  beforeAll(() => {
    const kh = write(
      "kh-all",
      [alpha, hop1, hop2, t1, t2].map((s) => `[${s.address}]:${s.port} ${hostKeyLine(s)}`).join("\n"),
    );
    config = write(
      "cfg-jump",
      [
        hostBlock("hop1", hop1, [], kh),
        hostBlock("hop2", hop2, [], kh),
        hostBlock("t1", t1, ["ProxyJump hop1,hop2"], kh),
        hostBlock("t2", t2, ["ProxyJump hop1,hop2"], kh),
        hostBlock("blocked", alpha, ["ProxyJump hop1,hop2"], kh),
      ].join("\n"),
    );
  });

  it("reaches two hosts through a chain of two jump hosts that are not in the inventory, one connection per hop", async () => {
    expect(opensshAccepts(config, "t1")).toBe(true);
    const inv = loadInventory(inventoryFile("inv-jump.yaml", { t1: "{}", t2: "{}" }), {
      sshConfig: { kind: "file", file: config },
    });
    expect(inv.hosts[0]?.connection.proxyJump?.map((h) => h.spec)).toEqual(["hop1", "hop2"]);
    const connector = new SshConnector(inv);
    try {
      const [a, b] = await Promise.all([connector.connect("t1"), connector.connect("t2")]);
      expect((await a.run({ argv: ["true"] })).code).toBe(0);
      expect((await b.run({ argv: ["true"] })).code).toBe(0);
      // Both targets share the chain: each jump host has exactly one connection, each target one.
      expect([hop1, hop2, t1, t2].map((s) => s.connectionPids().length)).toEqual([1, 1, 1, 1]);
    } finally {
      await connector.closeAll();
    }
  });

  it("really goes through the second hop: a target it may not forward to fails, naming the chain", async () => {
    const inv = loadInventory(inventoryFile("inv-blocked.yaml", { x: "{ address: blocked }" }), {
      sshConfig: { kind: "file", file: config },
    });
    expect(opensshAccepts(config, "blocked")).toBe(false);
    const ours = await lvsplayAccepts(inv, "x");
    expect(ours.ok).toBe(false);
    expect(ours.error).toMatch(/cannot connect to host x .*via ProxyJump hop1,hop2/);
  });

  it("a jump host that is also an inventory host reuses that host's connection", async () => {
    const inv = loadInventory(inventoryFile("inv-jump-inv.yaml", { hop1: "{}", t1: "{}" }), {
      sshConfig: { kind: "file", file: config },
    });
    const connector = new SshConnector(inv);
    try {
      await Promise.all([connector.connect("hop1"), connector.connect("t1")]);
      expect(hop1.connectionPids()).toHaveLength(1);
    } finally {
      await connector.closeAll();
    }
  });
});

describe("authentication like OpenSSH", () => {
  it("uses the agent by default when SSH_AUTH_SOCK is set, and not with agent: false", async () => {
    execFileSync("ssh-add", [alpha.keyFile], {
      env: { ...process.env, SSH_AUTH_SOCK: agentSock },
      stdio: "ignore",
    });
    const kh = write("kh-agent", `[${alpha.address}]:${alpha.port} ${hostKeyLine(alpha)}\n`);
    const inv = (agentSetting: string) =>
      loadInventory(
        inventoryFile("inv-agent.yaml", {
          // No key file anywhere: only the agent can log in.
          a: `{ address: ${alpha.address}, port: ${alpha.port}, identity: /nonexistent/key, known_hosts: ${kh}${agentSetting} }`,
        }),
        { sshConfig: { kind: "none" } },
      );
    const saved = process.env["SSH_AUTH_SOCK"];
    try {
      process.env["SSH_AUTH_SOCK"] = agentSock;
      expect(await lvsplayAccepts(inv(""), "a")).toEqual({ ok: true });
      const off = await lvsplayAccepts(inv(", agent: false"), "a");
      expect(off.error).toMatch(
        /no key to authenticate with: identity file \/nonexistent\/key does not exist; no SSH agent/,
      );
      delete process.env["SSH_AUTH_SOCK"];
      const none = await lvsplayAccepts(inv(""), "a");
      expect(none.error).toMatch(/no SSH agent \(SSH_AUTH_SOCK is not set\)/);
    } finally {
      if (saved === undefined) delete process.env["SSH_AUTH_SOCK"];
      else process.env["SSH_AUTH_SOCK"] = saved;
    }
  });

  it("IdentitiesOnly limits the agent to the identity files' keys (matched by their .pub)", async () => {
    const kh = write("kh-only", `[${alpha.address}]:${alpha.port} ${hostKeyLine(alpha)}\n`);
    // A public key file of the agent's key, without its private half.
    const pubOnly = path.join(work, "pub-only");
    copyFileSync(`${alpha.keyFile}.pub`, `${pubOnly}.pub`);
    const cfg = (identity: string) =>
      write(
        "cfg-only",
        hostBlock("alpha", alpha, ["IdentitiesOnly yes"], kh).replace(alpha.keyFile, identity),
      );
    const saved = process.env["SSH_AUTH_SOCK"];
    try {
      process.env["SSH_AUTH_SOCK"] = agentSock;
      const inv = (identity: string) =>
        loadInventory(inventoryFile("inv-only.yaml", { a: "{ address: alpha }" }), {
          sshConfig: { kind: "file", file: cfg(identity) },
        });
      expect(await lvsplayAccepts(inv(pubOnly), "a")).toEqual({ ok: true });
      // The agent holds alpha's key, but IdentitiesOnly names another one: not offered.
      const other = await lvsplayAccepts(inv(t1.keyFile), "a");
      expect(other.ok).toBe(false);
      expect(other.error).toMatch(/authentication failed \(offered: agent .*identity files' keys only.*key /);
    } finally {
      if (saved === undefined) delete process.env["SSH_AUTH_SOCK"];
      else process.env["SSH_AUTH_SOCK"] = saved;
    }
  });

  it("decrypts a passphrase-protected key with the passphrase from the variable the inventory names", async () => {
    const key = path.join(work, "encrypted_ed25519");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "s3cret pass", "-C", "enc", "-f", key]);
    appendFileSync(path.join(alpha.dir, "authorized_keys"), readFileSync(`${key}.pub`, "utf8"));
    const kh = write("kh-enc", `[${alpha.address}]:${alpha.port} ${hostKeyLine(alpha)}\n`);
    const inv = loadInventory(
      inventoryFile("inv-enc.yaml", {
        a: `{ address: ${alpha.address}, port: ${alpha.port}, identity: ${key}, identity_passphrase_env: LVSPLAY_TEST_KEY_PASS, known_hosts: ${kh}, agent: false }`,
      }),
      { sshConfig: { kind: "none" } },
    );
    const saved = process.env["LVSPLAY_TEST_KEY_PASS"];
    try {
      delete process.env["LVSPLAY_TEST_KEY_PASS"];
      expect((await lvsplayAccepts(inv, "a")).error).toMatch(
        /identity file .*encrypted_ed25519 is encrypted and environment variable LVSPLAY_TEST_KEY_PASS \(identity_passphrase_env\) is not set/,
      );
      process.env["LVSPLAY_TEST_KEY_PASS"] = "wrong";
      const wrong = await lvsplayAccepts(inv, "a");
      expect(wrong.error).toMatch(
        /cannot decrypt identity file .*encrypted_ed25519 with the passphrase in LVSPLAY_TEST_KEY_PASS/,
      );
      expect(wrong.error).not.toContain("wrong");
      process.env["LVSPLAY_TEST_KEY_PASS"] = "s3cret pass";
      expect(await lvsplayAccepts(inv, "a")).toEqual({ ok: true });
    } finally {
      if (saved === undefined) delete process.env["LVSPLAY_TEST_KEY_PASS"];
      else process.env["LVSPLAY_TEST_KEY_PASS"] = saved;
    }
  });
});
