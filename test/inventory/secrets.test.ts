// VRRP and sudo passwords from the environment or a file: read once at load,
// refused with a positioned message when missing or unsafe, never printed.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { secretValues } from "../../src/cli/run-log.js";
import { VRRP_PASSWORD } from "../../src/config/charsets.js";
import { ConfigError } from "../../src/config/problem.js";
import { REDACTED } from "../../src/config/secret.js";
import { parseInventory } from "../../src/inventory/load.js";
import { type SecretSources, systemSecretSources } from "../../src/inventory/secrets.js";
import { buildKeepalivedConfig } from "../../src/lvs/keepalived/model.js";
import { renderVrrpInstance } from "../../src/lvs/keepalived/render.js";

const dir = mkdtempSync(join(tmpdir(), "lvsplay-secrets-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string, mode: number): string {
  const path = join(dir, name);
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, content);
  chmodSync(path, mode);
  return path;
}

const inventory = (auth: string, become = "") =>
  [
    ...(become ? ["defaults:", `  become: ${become}`] : []),
    "hosts:",
    "  ds1: { address: 192.0.2.11, groups: [directors] }",
    "  ds2: { address: 192.0.2.12, groups: [directors] }",
    "lvs:",
    "  vrrp:",
    "    virtual_router_id: 51",
    "    order: [ds1, ds2]",
    `    auth: ${auth}`,
    "  services: [{ name: web, vip: 192.0.2.100, port: 80 }]",
    "",
  ].join("\n");

const sources = (env: Record<string, string> = {}): SecretSources => ({ ...systemSecretSources(), env });
const INV = join(dir, "inventory.yaml");

function problems(source: string, src: SecretSources): string[] {
  try {
    parseInventory(source, INV, { sshConfig: { kind: "none" }, secretSources: src });
  } catch (error) {
    if (error instanceof ConfigError)
      return error.problems.map((p) => `${p.line}:${p.col}: ${p.path}: ${p.message}`);
    throw error;
  }
  return [];
}

describe("the VRRP password", () => {
  it("comes from an environment variable, is rendered into keepalived's file, and prints nowhere else", () => {
    const inv = parseInventory(inventory("{ password_env: VRRP_PW }"), INV, {
      sshConfig: { kind: "none" },
      secretSources: sources({ VRRP_PW: "s3cr3t" }),
    });
    const auth = inv.lvs?.vrrp.auth;
    expect(auth?.password.reveal()).toBe("s3cr3t");
    expect(JSON.stringify(inv)).not.toContain("s3cr3t");
    expect(inspect(inv, { depth: 10 })).not.toContain("s3cr3t");
    expect(`${auth?.password}`).toBe(REDACTED);
    const directors = ["ds1", "ds2"].map((name, i) => ({
      name,
      interface: "eth1",
      mac: `02:00:00:00:00:0${i}`,
      address: `192.0.2.1${i + 1}`,
    }));
    const cfg = buildKeepalivedConfig(inv, "ds1", directors, { web: 1 }, []);
    expect(renderVrrpInstance(cfg.vrrp).join("\n")).toContain("auth_pass s3cr3t");
  });

  it("comes from a file of mode 0600 (relative to the inventory), one line, trailing newline dropped", () => {
    file("secrets/vrrp", "fromfile\n", 0o600);
    const inv = parseInventory(inventory("{ password_file: secrets/vrrp }"), INV, {
      sshConfig: { kind: "none" },
      secretSources: sources(),
    });
    expect(inv.lvs?.vrrp.auth?.password.reveal()).toBe("fromfile");
  });

  it("refuses a file others can read, naming the fix and never the password", () => {
    const path = file("loose", "loosepw\n", 0o644);
    expect(problems(inventory(`{ password_file: ${path} }`), sources())).toEqual([
      `8:28: lvs.vrrp.auth.password_file: ${path} has mode 0644: a password file must be readable by its owner only (chmod 600 ${path})`,
    ]);
    chmodSync(path, 0o640);
    expect(problems(inventory(`{ password_file: ${path} }`), sources())[0]).toMatch(/has mode 0640/);
  });

  it("refuses a missing variable, a missing file, a directory, several lines, an unusable password — without echoing it", () => {
    expect(problems(inventory("{ password_env: NOPE_NOT_SET }"), sources())).toEqual([
      "8:27: lvs.vrrp.auth.password_env: environment variable NOPE_NOT_SET is not set",
    ]);
    expect(problems(inventory("{ password_file: nope }"), sources())).toEqual([
      `8:28: lvs.vrrp.auth.password_file: ${join(dir, "nope")} does not exist`,
    ]);
    mkdirSync(join(dir, "adir"), { recursive: true });
    expect(problems(inventory("{ password_file: adir }"), sources())[0]).toMatch(
      /adir is not a regular file$/,
    );
    file("two", "a\nb\n", 0o600);
    expect(problems(inventory("{ password_file: two }"), sources())[0]).toMatch(
      /must hold the password on one line$/,
    );
    expect(problems(inventory("{ password_env: LONG }"), sources({ LONG: "much-too-long-secret" }))).toEqual([
      `8:27: lvs.vrrp.auth.password_env: the password from environment variable LONG: expected a VRRP password (${VRRP_PASSWORD.rule}): it is 20 characters long, the limit is 8`,
    ]);
  });

  it("holds a password from a file to the same character set as an inline one, never echoing it", () => {
    file("dollar", "pa$RAND\n", 0o600);
    const [problem] = problems(inventory("{ password_file: dollar }"), sources());
    expect(problem).toMatch(
      /lvs.vrrp.auth.password_file: the password from file .*dollar: expected a VRRP password .*: character 3 is not allowed$/,
    );
    expect(problem).not.toContain("RAND");
  });

  it("refuses a password file owned by someone else", () => {
    const path = file("theirs", "pw\n", 0o600);
    const src: SecretSources = {
      ...sources(),
      uid: 4242,
      readFile: (p) => ({ ...systemSecretSources().readFile(p), uid: 1000 }),
    };
    expect(problems(inventory(`{ password_file: ${path} }`), src)[0]).toMatch(
      /belongs to uid 1000: a password file must belong to the user running lvsplay or to root$/,
    );
  });

  it("comes from exactly one place", () => {
    expect(problems(inventory("{ password: abc, password_env: X }"), sources({ X: "y" }))).toEqual([
      "8:5: lvs.vrrp.auth: expected exactly one of password_env (an environment variable), password_file (a file of mode 0600) or password",
    ]);
    expect(problems(inventory("{ type: PASS }"), sources())).toHaveLength(1);
  });
});

describe("the sudo password", () => {
  it("comes from a file (read once for every host that uses it) or a variable; a host's own source wins", () => {
    const path = file("sudo", "sudo-pw\n", 0o600);
    let reads = 0;
    const src: SecretSources = {
      ...sources({ OTHER: "other-pw" }),
      readFile: (p) => {
        reads++;
        return systemSecretSources().readFile(p);
      },
    };
    const text = inventory("{ password: abc }", `{ enabled: true, password_file: ${path} }`).replace(
      "  ds2: { address: 192.0.2.12, groups: [directors] }",
      "  ds2: { address: 192.0.2.12, groups: [directors], become: { password_env: OTHER } }\n  rs: { address: 192.0.2.13 }",
    );
    const inv = parseInventory(text, INV, { sshConfig: { kind: "none" }, secretSources: src });
    const become = (name: string) => inv.hosts.find((h) => h.name === name)!.connection.become;
    expect(become("ds1").password?.reveal()).toBe("sudo-pw");
    expect(become("rs").password?.reveal()).toBe("sudo-pw");
    expect(become("ds2")).toMatchObject({ enabled: true, passwordEnv: "OTHER" });
    expect(become("ds2").password?.reveal()).toBe("other-pw");
    expect(reads).toBe(1);
  });

  it("is refused like the VRRP password: mode, and at most one source", () => {
    const path = file("sudo-loose", "pw\n", 0o604);
    expect(
      problems(inventory("{ password: abc }", `{ enabled: true, password_file: ${path} }`), sources()),
    ).toEqual([
      `2:43: defaults.become.password_file: ${path} has mode 0604: a password file must be readable by its owner only (chmod 600 ${path})`,
    ]);
    expect(
      problems(
        inventory("{ password: abc }", "{ enabled: true, password_file: x, password_env: Y }"),
        sources(),
      ),
    ).toEqual(["2:3: defaults.become: expected at most one of password_env or password_file"]);
  });

  it("is not read when become is off", () => {
    expect(
      problems(inventory("{ password: abc }", "{ enabled: false, password_env: UNSET_HERE }"), sources()),
    ).toEqual([]);
  });
});

describe("what -v and --log-file redact", () => {
  it("includes passwords read from files, not only from environment variables", () => {
    file("secrets/sudo-redact", "sudo-from-file\n", 0o600);
    file("secrets/vrrp-redact", "vrrpfile\n", 0o600);
    const inv = parseInventory(
      inventory(
        "{ password_file: secrets/vrrp-redact }",
        "{ enabled: true, password_file: secrets/sudo-redact }",
      ),
      INV,
      { sshConfig: { kind: "none" }, secretSources: sources() },
    );
    expect(secretValues(inv, {})).toEqual(["sudo-from-file", "vrrpfile"]);
  });
});
