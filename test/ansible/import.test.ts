// `lvsplay inventory import` against Ansible inventory trees (INI and YAML, with
// group_vars/ and host_vars/ as files and folders). The parser's view of each
// tree is checked against Ansible's own: `ansible-inventory --list` (Debian's
// ansible-core) on the same files must report the same hosts, groups and
// merged variables. Then the printed lvsplay inventory must load and say what
// each host's connection is.
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type AnsibleInventory, loadAnsibleInventory } from "../../src/ansible/load.js";
import { VaultValue } from "../../src/ansible/vars-file.js";
import { parseInventory } from "../../src/inventory/load.js";

const FIXTURES = path.resolve("test/fixtures/ansible");
const CLI = path.resolve("bin/lvsplay.js");
const INI = path.join(FIXTURES, "ini-site/hosts.ini");
const YAML_DIR = path.join(FIXTURES, "yaml-site");
const work = mkdtempSync(path.join(tmpdir(), "lvsplay-ansible-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface AnsibleList {
  _meta: { hostvars: Record<string, Record<string, unknown>> };
  [group: string]: { hosts?: string[]; children?: string[] } | AnsibleList["_meta"];
}

/** Ansible's own reading of the inventory. */
function ansibleInventory(source: string): AnsibleList {
  const run = spawnSync("ansible-inventory", ["-i", source, "--list"], {
    encoding: "utf8",
    env: { ...process.env, ANSIBLE_LOCAL_TEMP: work, ANSIBLE_HOME: work, ANSIBLE_NOCOLOR: "1" },
  });
  if (run.error)
    throw new Error(
      `ansible-inventory could not run (scripts/setup.sh installs ansible-core): ${run.error.message}`,
    );
  if (run.status !== 0) throw new Error(`ansible-inventory failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as AnsibleList;
}

/** Vault values compared by kind, not ciphertext. */
const comparable = (vars: Record<string, unknown>) =>
  JSON.parse(
    // Ours serialise as "<vault-encrypted>" (VaultValue.toJSON), Ansible's as { __ansible_vault: … }.
    JSON.stringify(vars, (_, v) =>
      v === "<vault-encrypted>" ||
      v instanceof VaultValue ||
      (v && typeof v === "object" && "__ansible_vault" in v)
        ? "<vault>"
        : v,
    ),
  );

function expectSameAsAnsible(ours: AnsibleInventory, theirs: AnsibleList): void {
  const hostvars = theirs._meta.hostvars;
  expect(ours.hosts.map((h) => h.name).sort()).toEqual(Object.keys(hostvars).sort());
  for (const host of ours.hosts) {
    expect(comparable(host.vars), `merged variables of ${host.name}`).toEqual(
      comparable(hostvars[host.name] ?? {}),
    );
  }
  for (const [name, entry] of Object.entries(theirs)) {
    if (name === "_meta") continue;
    const group = ours.groups.get(name);
    const listed = entry as { hosts?: string[]; children?: string[] };
    expect(group, `group ${name}`).toBeDefined();
    expect([...(group?.hosts ?? [])].sort(), `hosts of ${name}`).toEqual([...(listed.hosts ?? [])].sort());
    expect([...(group?.children ?? [])].sort(), `children of ${name}`).toEqual(
      [...(listed.children ?? [])].sort(),
    );
  }
}

function lvsplay(args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], {
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
  });
}

describe("reading Ansible inventories like Ansible", () => {
  it("an INI inventory with ranges, :vars, :children, group_vars folders and host_vars matches ansible-inventory", () => {
    expectSameAsAnsible(loadAnsibleInventory(INI), ansibleInventory(INI));
  });

  it("a YAML inventory folder with host_vars folders matches ansible-inventory", () => {
    expectSameAsAnsible(loadAnsibleInventory(YAML_DIR), ansibleInventory(YAML_DIR));
  });

  it("INI value types, host:port, letter ranges and precedence edge cases match ansible-inventory", () => {
    const dir = path.join(work, "edge");
    cpSync(path.join(FIXTURES, "ini-site"), dir, { recursive: true });
    writeFileSync(
      path.join(dir, "hosts.ini"),
      [
        "plain.example:2200 n=0012 f=1.5 t=True s='quoted value' l=\"[1, 2]\" word=yes",
        "[db]",
        "db-[a:c].example ansible_user=dbadmin",
        "[db:vars]",
        "ansible_port=5022",
        "region=us",
        "[web]",
        "web01.dc1.example.net ansible_port=2201",
        "[web:vars]",
        "region=eu",
      ].join("\n"),
    );
    // group_vars/all.yml wins over [db:vars] (files above inline group vars), inline host vars over both.
    writeFileSync(path.join(dir, "group_vars/all.yml"), "region: all-file\n");
    writeFileSync(path.join(dir, "group_vars/db.yaml"), "ansible_port: 6022\n");
    const file = path.join(dir, "hosts.ini");
    const ours = loadAnsibleInventory(file);
    expectSameAsAnsible(ours, ansibleInventory(file));
    expect(ours.hosts.find((h) => h.name === "db-b.example")?.vars).toMatchObject({
      ansible_port: 6022,
      region: "all-file",
    });
  });
});

describe("lvsplay inventory import", () => {
  it("prints an inventory that loads, with roles from --map, connections mapped and comments on the rest", () => {
    const run = lvsplay(["inventory", "import", INI, "--map", "directors=lvs_directors,realservers=web"]);
    expect(run.status, run.stderr).toBe(0);
    const inv = parseInventory(run.stdout, path.join(work, "imported.yaml"), { sshConfig: { kind: "none" } });
    const host = (name: string) => inv.hosts.find((h) => h.name === name);
    expect(inv.groups["directors"]).toEqual(["lb1.dc1.example.net", "lb2.dc1.example.net"]);
    expect(inv.groups["realservers"]).toEqual([
      "web01.dc1.example.net",
      "web02.dc1.example.net",
      "web03.dc1.example.net",
    ]);
    expect(host("lb2.dc1.example.net")?.connection).toMatchObject({
      address: "10.20.0.12",
      port: 2222,
      user: "ops",
      jump: "bastion.dc1.example.net",
      become: { enabled: true },
    });
    // ~/.ssh/ops_ed25519 from group_vars/all.yml, shared by every host: in defaults.
    expect(run.stdout).toMatch(/^defaults:\n {2}identity: ~\/\.ssh\/ops_ed25519$/m);
    expect(host("web02.dc1.example.net")?.connection.address).toBe("10.20.1.2");
    expect(host("web02.dc1.example.net")?.vars).toMatchObject({ http_port: 9090, site: "dc1" });
    // A host without ansible_host is reached by its name.
    expect(host("web01.dc1.example.net")?.connection.address).toBe("web01.dc1.example.net");
    expect(host("bastion.dc1.example.net")?.connection).toMatchObject({
      user: "jump",
      address: "198.51.100.7",
    });
    expect(host("localhost")).toBeUndefined();
    expect(run.stdout).toContain(
      "#   localhost: ansible_connection: local (lvsplay reaches hosts over SSH only)",
    );
    expect(run.stdout).toContain(
      "# not mapped: ansible_become_password (a secret: not copied; give sudo's password through become.password_env)",
    );
    expect(run.stdout).toContain(
      "# not mapped: ansible_ssh_common_args StrictHostKeyChecking (lvsplay always checks host keys strictly)",
    );
    expect(run.stdout).not.toContain("ANSIBLE_VAULT");
    // No ansible_* variable is copied as a variable.
    expect(run.stdout).not.toMatch(/^\s+ansible_\w+:/m);
  });

  it("maps a ProxyCommand through an inventory host to jump:, keeps roles named like lvsplay's, never copies a password", () => {
    const run = lvsplay(["inventory", "import", YAML_DIR]);
    expect(run.status, run.stderr).toBe(0);
    const inv = parseInventory(run.stdout, path.join(work, "imported2.yaml"), {
      sshConfig: { kind: "none" },
    });
    expect(inv.groups["directors"]).toEqual(["ds-a", "ds-b"]);
    expect(inv.groups["clients"]).toEqual(["probe"]);
    expect(inv.hosts.find((h) => h.name === "probe")?.connection.jump).toBe("ds-a");
    expect(run.stdout).not.toContain("hunter2");
    expect(run.stdout).toContain(
      "# not mapped: ansible_password (password login is not supported: use a key or the agent)",
    );
  });

  it("a jump host outside the inventory is reported with the ssh_config line to add", () => {
    const dir = path.join(work, "outside");
    cpSync(YAML_DIR, dir, { recursive: true });
    writeFileSync(
      path.join(dir, "inventory.yml"),
      "all:\n  hosts:\n    far: { ansible_host: 192.0.2.99, ansible_ssh_common_args: '-J admin@gw.example:2222' }\n",
    );
    const run = lvsplay(["inventory", "import", path.join(dir, "inventory.yml")]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain(
      '# not mapped: ansible_ssh_common_args jump host admin@gw.example:2222 (not an inventory host: add "ProxyJump admin@gw.example:2222" for this host to ~/.ssh/config',
    );
  });

  it("the README's example is this importer's real output (line for line, in order)", () => {
    const readme = readFileSync("README.md", "utf8");
    const start = readme.indexOf(
      "$ lvsplay inventory import hosts.ini --map directors=lvs_directors,realservers=web",
    );
    expect(start).toBeGreaterThan(0);
    const block = readme
      .slice(start, readme.indexOf("```", start))
      .split("\n")
      .slice(1)
      .filter((l) => l !== "");
    const run = spawnSync(
      process.execPath,
      [CLI, "inventory", "import", "hosts.ini", "--map", "directors=lvs_directors,realservers=web"],
      {
        cwd: path.join(FIXTURES, "ini-site"),
        encoding: "utf8",
      },
    );
    expect(run.status, run.stderr).toBe(0);
    const lines = run.stdout.split("\n");
    let at = 0;
    for (const line of block.filter((l) => !l.includes("… lb2, web01, web03 alike …"))) {
      const found = lines.indexOf(line, at);
      expect(found, `README line not in the output (in order): ${line}`).toBeGreaterThanOrEqual(at);
      at = found + 1;
    }
  });

  it("bad input exits 1 with one line: a missing file, a bad --map, a broken INI line", () => {
    const missing = lvsplay(["inventory", "import", path.join(work, "nope.ini")]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^lvsplay inventory import: cannot read .*nope\.ini: file not found\n$/);
    const badMap = lvsplay(["inventory", "import", INI, "--map", "servers=web"]);
    expect(badMap.status).toBe(1);
    expect(badMap.stderr).toContain(
      "--map servers=web: expected ROLE=ANSIBLE_GROUP with ROLE one of directors, realservers, clients",
    );
    const broken = path.join(work, "broken.ini");
    writeFileSync(broken, "[web\nhost1\n");
    const parse = lvsplay(["inventory", "import", broken]);
    expect(parse.status).toBe(1);
    expect(parse.stderr).toContain(`${broken}:1: cannot read section header [web`);
  });
});
