// Real fleets reach hosts the way OpenSSH does. Against a namespace lab (real
// sshd in every host), through the CLI: a host behind an ssh_config alias; a
// host that only a chain of two jump hosts (not inventory hosts) can reach,
// enforced with iptables inside the lab hosts; and every host by DNS name,
// resolved by the system resolver from a private /etc/hosts (a bind mount in a
// mount namespace of the command alone: the machine's /etc/hosts and parallel
// tests never see the names), with keepalived's configuration still written
// with IPv4 addresses. Keys as ssh uses them: the agent by default when
// SSH_AUTH_SOCK is set (a stale socket is passed over), an encrypted key with
// its passphrase from the variable the inventory names (never printed).
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { run } from "../../src/lab/run.js";
import { withPrivateHosts, writeHostsFile } from "../support/private-hosts.js";
import { REPO_ROOT, timing, useE2eLab } from "./support/e2e-lab.js";
import { runLvsplay } from "./support/lvsplay-cli.js";

const lab = useE2eLab("sshfleet");

interface LabInventory {
  hosts: Record<string, { address: string; groups?: string[]; interface?: string }>;
  [key: string]: unknown;
}
const labInventory = () => parse(readFileSync(lab.inventoryFile, "utf8")) as LabInventory;
const addressOf = (host: string) => labInventory().hosts[host]?.address ?? "";
const key = () => path.join(lab.stateDir, "id_ed25519");
const knownHosts = () => path.join(lab.stateDir, "known_hosts");

function write(name: string, text: string): string {
  const file = path.join(lab.stateDir, name);
  writeFileSync(file, text);
  return file;
}

const block = (alias: string, address: string, extra: string[] = []) =>
  [
    `Host ${alias}`,
    `  HostName ${address}`,
    "  User root",
    `  IdentityFile ${key()}`,
    `  UserKnownHostsFile ${knownHosts()}`,
    ...extra.map((l) => `  ${l}`),
    "",
  ].join("\n");

/** `lvsplay facts` output: host → facts (or { unreachable }). */
function factsOf(stdout: string): Record<string, { os?: { id?: string }; unreachable?: string }> {
  return JSON.parse(stdout) as Record<string, { os?: { id?: string }; unreachable?: string }>;
}

// The CLI runs take seconds each on a busy machine: generous limits, waiting on the runs themselves.
describe("SSH like OpenSSH, against lab hosts", { timeout: 300_000 }, () => {
  it("reaches a host through an ssh_config alias (inventory ssh_config: key, and -F)", async () => {
    const ds1 = lab.facts.directors[0] ?? "";
    write("ssh_config", block("frontend-a", addressOf(ds1)));
    const inv = write(
      "inv-alias.yaml",
      stringify({ ssh_config: "./ssh_config", hosts: { web: { address: "frontend-a" } } }),
    );
    const viaKey = await runLvsplay(["facts", inv]);
    expect(viaKey.code, viaKey.stderr).toBe(0);
    expect(factsOf(viaKey.stdout)["web"]?.os).toBeDefined();
    // -F wins over the key: with -F none the alias means nothing and the host cannot be reached.
    const none = await runLvsplay(["facts", inv, "-F", "none"]);
    expect(none.code).not.toBe(0);
    const viaFlag = await runLvsplay([
      "facts",
      write("inv-alias-nokey.yaml", stringify({ hosts: { web: { address: "frontend-a" } } })),
      "-F",
      path.join(lab.stateDir, "ssh_config"),
    ]);
    expect(viaFlag.code, viaFlag.stderr).toBe(0);
  });

  it("reaches every host by DNS name from the system resolver; keepalived still gets IPv4 addresses", async () => {
    const inv = labInventory();
    const names = Object.keys(inv.hosts).map(
      (h) => [inv.hosts[h]?.address ?? "", `${h}.fleet.test`] as const,
    );
    const hosts = writeHostsFile(path.join(lab.stateDir, "etc-hosts"), [
      ...names,
      // One name with two addresses: an error naming both.
      [names[0]?.[0] ?? "", "twice.fleet.test"],
      [names[1]?.[0] ?? "", "twice.fleet.test"],
    ]);
    // known_hosts under the names, as ssh records a host reached by name.
    const byName = readFileSync(knownHosts(), "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => {
        const [address, ...rest] = line.split(" ");
        const name = names.find(([a]) => a === address)?.[1];
        return `${name ?? address} ${rest.join(" ")}`;
      })
      .join("\n");
    const khNames = write("known_hosts_names", `${byName}\n`);
    for (const [host, body] of Object.entries(inv.hosts)) body.address = `${host}.fleet.test`;
    inv["defaults"] = { user: "root", identity: key(), known_hosts: khNames, connect_timeout: 10 };
    inv["ssh_config"] = "none";
    const invFile = write("inv-dns.yaml", stringify(inv));
    const cli = (args: string[]) =>
      run(withPrivateHosts(hosts, [process.execPath, path.join(REPO_ROOT, "bin/lvsplay.js"), ...args]), {
        cwd: REPO_ROOT,
        env: { ...process.env, NO_COLOR: "1" },
        timeoutMs: 180_000,
      });

    const started = Date.now();
    const check = await cli(["apply", invFile, "--check", "--diff", "--plain"]);
    timing("apply --check by DNS name", Date.now() - started);
    expect(check.code, check.stderr).toBe(2); // a fresh lab: changes pending, every host reached
    expect(check.stdout).not.toMatch(/unreachable: \[/);
    const rs = lab.facts.realServers[0] ?? "";
    // The rendered keepalived.conf names real servers by address, never by DNS name.
    expect(check.stdout).toContain(`real_server ${addressOf(rs)}`);
    expect(check.stdout).not.toMatch(/real_server [a-z]/);
    expect(check.stdout).not.toContain("fleet.test");

    const twice = write("inv-twice.yaml", stringify({ hosts: { a: { address: "twice.fleet.test" } } }));
    const multi = await cli(["validate", twice]);
    expect(multi.code).toBe(1);
    expect(multi.stderr).toContain(
      `host a: address twice.fleet.test resolves to several IPv4 addresses (${names[0]?.[0]}, ${names[1]?.[0]})`,
    );
    // The machine's own resolver has never heard of these names: nothing leaked out of the namespace.
    const outside = await runLvsplay(["validate", twice]);
    expect(outside.code).toBe(1);
    expect(outside.stderr).toContain("host a: address twice.fleet.test has no IPv4 address");
  });

  it("reaches a host only a chain of two jump hosts (not in the inventory) can reach", async () => {
    const [target, hop1, hop2] = [
      lab.facts.directors[0] ?? "",
      lab.facts.realServers.at(-1) ?? "",
      lab.facts.clients[0] ?? "",
    ];
    expect(new Set([target, hop1, hop2]).size).toBe(3);
    // target accepts SSH only from hop2, hop2 only from hop1: the machine reaches hop1 alone.
    const onlyFrom = (node: string, peer: string) =>
      lab.read(node, [
        "iptables",
        "-I",
        "INPUT",
        "-p",
        "tcp",
        "--dport",
        "22",
        "!",
        "-s",
        addressOf(peer),
        "-j",
        "REJECT",
        "--reject-with",
        "tcp-reset",
      ]);
    await onlyFrom(target, hop2);
    await onlyFrom(hop2, hop1);
    try {
      write(
        "ssh_config_jump",
        [
          block("hop1", addressOf(hop1)),
          block("hop2", addressOf(hop2)),
          block("behind", addressOf(target), ["ProxyJump hop1,hop2"]),
        ].join("\n"),
      );
      const direct = write(
        "inv-direct.yaml",
        stringify({
          ssh_config: "none",
          defaults: { identity: key(), known_hosts: knownHosts() },
          hosts: { t: { address: addressOf(target) } },
        }),
      );
      const blocked = await runLvsplay(["facts", direct]);
      expect(blocked.code).toBe(3);
      expect(factsOf(blocked.stdout)["t"]?.unreachable).toMatch(/cannot connect/);

      const inv = write(
        "inv-jump.yaml",
        stringify({ ssh_config: "./ssh_config_jump", hosts: { t: { address: "behind" } } }),
      );
      const through = await runLvsplay(["facts", inv]);
      expect(through.code, through.stdout + through.stderr).toBe(0);
      expect(factsOf(through.stdout)["t"]?.os).toBeDefined();
    } finally {
      for (const node of [target, hop2]) await lab.read(node, ["iptables", "-D", "INPUT", "1"]);
    }
  });

  it("authenticates like ssh: the agent by default when SSH_AUTH_SOCK is set, an encrypted key's passphrase from the environment", async () => {
    const node = lab.facts.realServers[0] ?? "";
    const agentSock = path.join(lab.stateDir, "agent.sock");
    const agent: ChildProcess = spawn("ssh-agent", ["-D", "-a", agentSock], { stdio: "ignore" });
    try {
      // Waits for the agent's socket to appear (ssh-agent -D creates it, then serves).
      for (let i = 0; i < 2400 && spawnSync("test", ["-S", agentSock]).status !== 0; i++)
        await new Promise((r) => setTimeout(r, 25));
      execFileSync("ssh-add", [key()], {
        env: { ...process.env, SSH_AUTH_SOCK: agentSock },
        stdio: "ignore",
      });
      const missing = path.join(lab.stateDir, "no-such-key");
      const agentInv = (extra: Record<string, unknown>) =>
        write(
          "inv-agent.yaml",
          stringify({
            ssh_config: "none",
            // The only identity file does not exist: the agent alone can log in.
            hosts: {
              h: {
                address: addressOf(node),
                user: "root",
                identity: missing,
                known_hosts: knownHosts(),
                ...extra,
              },
            },
          }),
        );
      const viaAgent = await runLvsplay(["facts", agentInv({})], 120_000, { SSH_AUTH_SOCK: agentSock });
      expect(viaAgent.code, viaAgent.stdout + viaAgent.stderr).toBe(0);
      expect(factsOf(viaAgent.stdout)["h"]?.os).toBeDefined();
      const off = await runLvsplay(["facts", agentInv({ agent: false })], 120_000, {
        SSH_AUTH_SOCK: agentSock,
      });
      expect(off.code).toBe(3);
      expect(factsOf(off.stdout)["h"]?.unreachable).toContain(`identity file ${missing} does not exist`);
      // An empty SSH_AUTH_SOCK is no agent, as for ssh.
      const empty = await runLvsplay(["facts", agentInv({})], 120_000, { SSH_AUTH_SOCK: "" });
      expect(empty.code).toBe(3);
      expect(factsOf(empty.stdout)["h"]?.unreachable).toContain("no SSH agent (SSH_AUTH_SOCK is not set)");

      // A stale SSH_AUTH_SOCK (agent gone) does not stop a key file that works; when nothing works, it is named.
      const stale = path.join(lab.stateDir, "gone.sock");
      const withKey = write(
        "inv-stale.yaml",
        stringify({
          ssh_config: "none",
          hosts: {
            h: { address: addressOf(node), user: "root", identity: key(), known_hosts: knownHosts() },
          },
        }),
      );
      const staleOk = await runLvsplay(["facts", withKey], 120_000, { SSH_AUTH_SOCK: stale });
      expect(staleOk.code, staleOk.stdout + staleOk.stderr).toBe(0);
      const staleOnly = await runLvsplay(["facts", agentInv({})], 120_000, { SSH_AUTH_SOCK: stale });
      expect(staleOnly.code).toBe(3);
      expect(factsOf(staleOnly.stdout)["h"]?.unreachable).toMatch(
        new RegExp(`authentication failed .*agent ${stale} could not be reached`),
      );
    } finally {
      if (agent.pid !== undefined) process.kill(agent.pid, "SIGTERM");
    }

    // A passphrase-protected key authorised on the host; its passphrase only in the environment.
    const passphrase = "correct horse battery staple";
    const encrypted = path.join(lab.stateDir, "encrypted_ed25519");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", passphrase, "-C", "enc", "-f", encrypted]);
    await lab.read(node, [
      "sh",
      "-c",
      'printf "%s\\n" "$1" >>/root/.ssh/authorized_keys',
      "sh",
      readFileSync(`${encrypted}.pub`, "utf8").trim(),
    ]);
    const encInv = write(
      "inv-encrypted.yaml",
      stringify({
        ssh_config: "none",
        hosts: {
          h: {
            address: addressOf(node),
            user: "root",
            identity: encrypted,
            identity_passphrase_env: "LVSPLAY_E2E_KEY_PASS",
            agent: false,
            known_hosts: knownHosts(),
          },
        },
      }),
    );
    const unset = await runLvsplay(["facts", encInv]);
    expect(unset.code).toBe(3);
    expect(factsOf(unset.stdout)["h"]?.unreachable).toContain(
      "is encrypted and environment variable LVSPLAY_E2E_KEY_PASS (identity_passphrase_env) is not set",
    );
    const log = path.join(lab.stateDir, "enc.log");
    const withPass = await runLvsplay(["facts", encInv, "-vv", "--log-file", log], 120_000, {
      LVSPLAY_E2E_KEY_PASS: passphrase,
    });
    expect(withPass.code, withPass.stdout + withPass.stderr).toBe(0);
    expect(factsOf(withPass.stdout)["h"]?.os).toBeDefined();
    expect(withPass.stderr).toContain("[h] $"); // -vv printed the commands
    for (const text of [withPass.stdout, withPass.stderr, readFileSync(log, "utf8")])
      expect(text).not.toContain(passphrase);
  });
});
