// firewall-cmd argv → the busctl script's argv, and the script itself run
// against a recording stand-in for busctl (unit level: firewalld itself is
// exercised by the firewalld e2e files, which apply through this script).
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FIREWALL_CMD_REPLY_SEC, firewallCmdArgv } from "../../src/lvs/marks/firewall-cmd.js";
import {
  FIREWALLD_DBUS_SCRIPT,
  firewalldDbusArgv,
  firewalldWrite,
} from "../../src/lvs/marks/firewalld-dbus.js";
import { describeChange } from "../../src/render/diff.js";

const script = (...rest: string[]) => ["sh", "-c", FIREWALLD_DBUS_SCRIPT, "lvsplay-firewalld", ...rest];
const RULE =
  'rule family="ipv4" source NOT ipset="lvs_mark_list" destination address="10.0.0.100" port port="80" protocol="tcp" mark set=0x1';

describe("firewalldDbusArgv", () => {
  it.each([
    [["firewall-cmd", "--add-protocol=vrrp"], script("runtime", "protocol", "", "vrrp")],
    [["firewall-cmd", "--permanent", "--add-port=80/tcp"], script("permanent", "port", "", "80/tcp")],
    [
      ["firewall-cmd", "--zone=internal", "--add-port=80/tcp", "--add-port=443/tcp"],
      script("runtime", "port", "internal", "80/tcp", "443/tcp"),
    ],
    [
      ["firewall-cmd", "--permanent", "--new-ipset=lvs_mark_list", "--type=hash:mac"],
      script("permanent", "new-ipset", "lvs_mark_list", "hash:mac"),
    ],
    [
      ["firewall-cmd", "--permanent", "--ipset=lvs_mark_list", "--add-entry=02:00:00:00:00:12"],
      script("permanent", "entry", "lvs_mark_list", "02:00:00:00:00:12"),
    ],
    [
      ["firewall-cmd", "--ipset=lvs_mark_list", "--remove-entry=02:00:00:00:00:12"],
      script("runtime", "remove-entry", "lvs_mark_list", "02:00:00:00:00:12"),
    ],
    [
      ["firewall-cmd", "--zone=public", `--add-rich-rule=${RULE}`],
      script("runtime", "rich-rule", "public", RULE),
    ],
    [
      ["firewall-cmd", "--permanent", "--zone=public", `--remove-rich-rule=${RULE}`],
      script("permanent", "remove-rich-rule", "public", RULE),
    ],
    [["firewall-cmd", "--reload"], script("runtime", "reload", "")],
  ])("%j", (argv, expected) => {
    expect(firewalldDbusArgv(argv)).toEqual(expected);
  });

  it.each([
    // firewall-cmd would run only one of these kinds (its zone options are an if/elif chain): never merged.
    ["firewall-cmd", "--add-port=80/tcp", "--add-protocol=vrrp"],
    ["firewall-cmd", "--permanent", "--direct", "--remove-rule", "ipv4", "mangle", "PREROUTING", "0"],
    ["firewall-cmd", "--permanent", "--reload"],
    ["firewall-cmd", "--ipset=x", "--zone=public", "--add-entry=02:00:00:00:00:12"],
    ["firewall-cmd", "--zone=public", "--add-service=http"],
    ["firewall-cmd", "--new-ipset=x", "--type=hash:mac"],
    ["iptables", "-A", "INPUT"],
  ])("leaves %j to firewall-cmd", (...argv) => {
    expect(firewalldDbusArgv(argv)).toBeNull();
  });

  it("firewalldWrite: firewall-cmd itself when busctl did not read the facts", () => {
    expect(firewalldWrite(false, ["firewall-cmd", "--add-protocol=vrrp"], 1)).toEqual({
      argv: ["firewall-cmd", "--add-protocol=vrrp"],
    });
    expect(firewalldWrite(true, ["firewall-cmd", "--add-protocol=vrrp"], 1)).toEqual({
      argv: script("runtime", "protocol", "", "vrrp"),
      equivalent: ["firewall-cmd", "--add-protocol=vrrp"],
    });
  });

  it("firewalldWrite on a slow host: firewall-cmd gets its reply limit × timeout_scale, busctl needs none", () => {
    // firewall-cmd (Python-probe hosts, direct rules) waits libdbus's 25 s per reply unless told otherwise.
    expect(firewalldWrite(false, ["firewall-cmd", "--reload"], 10)).toEqual({
      argv: firewallCmdArgv(["firewall-cmd", "--reload"], 10),
    });
    expect(firewalldWrite(false, ["firewall-cmd", "--reload"], 10).argv).toContain(
      String(FIREWALL_CMD_REPLY_SEC * 10),
    );
    // busctl's own limit is an hour (--timeout=3600): the same script at any scale.
    expect(firewalldWrite(true, ["firewall-cmd", "--reload"], 10)).toEqual({
      argv: script("runtime", "reload", ""),
      equivalent: ["firewall-cmd", "--reload"],
    });
  });
});

it("--diff shows the firewall-cmd line a change stands for, not the script", () => {
  const { argv, equivalent } = firewalldWrite(true, ["firewall-cmd", "--permanent", "--add-port=80/tcp"], 1);
  const lines = describeChange({
    kind: "command",
    cause: { kind: "firewalld-port", subject: "80/tcp" },
    summary: "firewalld permanent: allow 80/tcp",
    command: { argv, become: true },
    ...(equivalent ? { equivalent } : {}),
  });
  expect(lines).toEqual(["$ firewall-cmd --permanent --add-port=80/tcp  (as D-Bus calls with busctl)"]);
});

it("the script is valid POSIX sh", () => {
  const r = spawnSync("dash", ["-n", "-c", FIREWALLD_DBUS_SCRIPT], { encoding: "utf8" });
  expect([r.status, r.stderr]).toEqual([0, ""]);
});

describe("the D-Bus script (busctl stand-in records calls)", () => {
  const dir = mkdtempSync(join(tmpdir(), "lvsplay-fwdbus-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const calls = join(dir, "calls");
  // Answers as busctl prints them; FAIL_ON makes the matching method fail with a firewalld error.
  writeFileSync(
    join(dir, "busctl"),
    [
      "#!/bin/sh",
      `printf '%s\\n' "$*" >> "${calls}"`,
      'm=$7; if [ -n "$FAIL_ON" ]; then case " $* " in *" $FAIL_ON "*) echo "Call failed: $FAIL_CODE: $FAIL_ON" >&2; exit 1 ;; esac; fi',
      "case $m in getDefaultZone) echo 's \"public\"' ;; getZoneByName) echo 'o \"/org/fedoraproject/FirewallD1/config/zone/3\"' ;;",
      "  getIPSetByName) echo 'o \"/org/fedoraproject/FirewallD1/config/ipset/0\"' ;; addPort|addProtocol) echo 's \"public\"' ;; esac",
    ].join("\n"),
  );
  chmodSync(join(dir, "busctl"), 0o755);
  const run = (args: string[], env: Record<string, string> = {}) => {
    writeFileSync(calls, "");
    const argv = script(...args);
    const r = spawnSync(argv[0]!, argv.slice(1), {
      encoding: "utf8",
      env: { PATH: `${dir}:/usr/bin:/bin`, ...env },
    });
    return { code: r.status, stderr: r.stderr, calls: readFileSync(calls, "utf8").trim().split("\n") };
  };
  const B = "--system --timeout=3600 call org.fedoraproject.FirewallD1";

  it("runtime ports: one addPort per item, zone '' = firewalld's default", () => {
    const r = run(["runtime", "port", "", "80/tcp", "53/udp"]);
    expect(r.code).toBe(0);
    expect(r.calls).toEqual([
      `${B} /org/fedoraproject/FirewallD1 org.fedoraproject.FirewallD1.zone addPort sssi  80 tcp 0`,
      `${B} /org/fedoraproject/FirewallD1 org.fedoraproject.FirewallD1.zone addPort sssi  53 udp 0`,
    ]);
  });

  it("permanent without a zone: the default zone's config object, then the call on it", () => {
    const r = run(["permanent", "protocol", "", "vrrp"]);
    expect(r.code).toBe(0);
    expect(r.calls).toEqual([
      `${B} /org/fedoraproject/FirewallD1 org.fedoraproject.FirewallD1 getDefaultZone`,
      `${B} /org/fedoraproject/FirewallD1/config org.fedoraproject.FirewallD1.config getZoneByName s public`,
      `${B} /org/fedoraproject/FirewallD1/config/zone/3 org.fedoraproject.FirewallD1.config.zone addProtocol s vrrp`,
    ]);
  });

  it("permanent ipset entries on the ipset's config object; new ipset as firewall-cmd creates it", () => {
    expect(run(["permanent", "entry", "lvs_mark_list", "02:00:00:00:00:12"]).calls).toEqual([
      `${B} /org/fedoraproject/FirewallD1/config org.fedoraproject.FirewallD1.config getIPSetByName s lvs_mark_list`,
      `${B} /org/fedoraproject/FirewallD1/config/ipset/0 org.fedoraproject.FirewallD1.config.ipset addEntry s 02:00:00:00:00:12`,
    ]);
    expect(run(["permanent", "new-ipset", "lvs_mark_list", "hash:mac"]).calls).toEqual([
      `${B} /org/fedoraproject/FirewallD1/config org.fedoraproject.FirewallD1.config addIPSet s(ssssa{ss}as) lvs_mark_list    hash:mac 0 0`,
    ]);
    expect(run(["runtime", "reload", ""]).calls).toEqual([
      `${B} /org/fedoraproject/FirewallD1 org.fedoraproject.FirewallD1 reload`,
    ]);
  });

  it("a failing item stops the change with firewalld's message (firewall-cmd would exit 0 after a warning)", () => {
    const r = run(["runtime", "port", "", "80/tcp", "81/tcp", "82/tcp"], {
      FAIL_ON: "81",
      FAIL_CODE: "INVALID_PORT",
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Call failed: INVALID_PORT: 81");
    expect(r.calls).toHaveLength(2);
  });

  it("ALREADY_ENABLED / NOT_ENABLED count as done, with a warning", () => {
    const r = run(["runtime", "port", "", "80/tcp", "81/tcp"], {
      FAIL_ON: "80",
      FAIL_CODE: "ALREADY_ENABLED",
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("Warning: Call failed: ALREADY_ENABLED:");
    expect(r.calls).toHaveLength(2);
  });

  it("an unknown zone fails before any change", () => {
    const r = run(["permanent", "port", "nosuch", "80/tcp"], {
      FAIL_ON: "getZoneByName",
      FAIL_CODE: "INVALID_ZONE",
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("INVALID_ZONE");
    expect(r.calls).toHaveLength(1);
  });
});
