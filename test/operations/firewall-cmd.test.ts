// firewall-cmd on a slow host: plain at timeout_scale 1; otherwise run through a
// prologue giving every D-Bus call the reply limit × scale. The prologue runs for
// real here against a stand-in dbus.proxies and a stand-in firewall-cmd script
// (this machine has no system bus; the real firewalld 1.3.3 run is in the notes).
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FIREWALL_CMD_REPLY_SEC, firewallCmdArgv } from "../../src/lvs/marks/firewall-cmd.js";

const dir = mkdtempSync(join(tmpdir(), "lvsplay-fwcmd-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A dbus.proxies whose method call reports the timeout it was given, and a firewall-cmd that calls it. */
function standIns(): { env: NodeJS.ProcessEnv } {
  mkdirSync(join(dir, "py", "dbus"), { recursive: true });
  writeFileSync(join(dir, "py", "dbus", "__init__.py"), "");
  writeFileSync(
    join(dir, "py", "dbus", "proxies.py"),
    [
      "class _ProxyMethod:",
      "    def __call__(self, *args, **kwargs):",
      '        return kwargs.get("timeout", -1)',
    ].join("\n"),
  );
  mkdirSync(join(dir, "bin"), { recursive: true });
  const fake = join(dir, "bin", "firewall-cmd");
  // Its own interpreter, as on Fedora/RHEL ("#!/usr/bin/python3 -s"), found from its #! line.
  const python = spawnSync("python3", ["-c", "import sys; print(sys.executable)"], { encoding: "utf8" });
  writeFileSync(
    fake,
    [
      `#!${python.stdout.trim()} -s`,
      "import sys, dbus.proxies",
      'print("timeout", dbus.proxies._ProxyMethod()("reload"))',
      'print("explicit", dbus.proxies._ProxyMethod()("x", timeout=7))',
      'print("argv", sys.argv[1:])',
      'print("name", __name__)',
    ].join("\n"),
  );
  chmodSync(fake, 0o755);
  return {
    env: { ...process.env, PYTHONPATH: join(dir, "py"), PATH: `${join(dir, "bin")}:${process.env.PATH}` },
  };
}

describe("firewallCmdArgv", () => {
  it("is plain firewall-cmd at timeout_scale 1 (its own 25 s reply limit is already 25 s × 1)", () => {
    expect(firewallCmdArgv(["firewall-cmd", "--reload"], 1)).toEqual(["firewall-cmd", "--reload"]);
  });

  it("refuses what is not a firewall-cmd command", () => {
    expect(() => firewallCmdArgv(["nft", "-f", "-"], 10)).toThrow(/not a firewall-cmd command/);
  });

  it("on a slow host runs the host's firewall-cmd with every D-Bus call's reply limit × scale", () => {
    const argv = firewallCmdArgv(
      ["firewall-cmd", "--permanent", "--ipset=s", "--add-entry=02:00:00:00:00:01"],
      10,
    );
    expect(argv.slice(0, 2)).toEqual(["sh", "-c"]);
    expect(argv[3]).toBe("lvsplay-firewall-cmd");
    expect(argv[4]).toBe(String(FIREWALL_CMD_REPLY_SEC * 10));
    expect(argv.slice(6)).toEqual(["--permanent", "--ipset=s", "--add-entry=02:00:00:00:00:01"]);
    const r = spawnSync(argv[0]!, argv.slice(1), { encoding: "utf8", ...standIns() });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(
      [
        "timeout 250.0",
        // A call that sets its own limit keeps it.
        "explicit 7",
        `argv ['--permanent', '--ipset=s', '--add-entry=02:00:00:00:00:01']`,
        "name __main__",
        "",
      ].join("\n"),
    );
    expect(r.status).toBe(0);
  });

  it("says so when the host has no firewall-cmd", () => {
    const argv = firewallCmdArgv(["firewall-cmd", "--reload"], 2);
    const r = spawnSync("/bin/sh", argv.slice(1), { encoding: "utf8", env: { PATH: "/nonexistent" } });
    expect(r.stderr.trim()).toBe("firewall-cmd: command not found");
    expect(r.status).toBe(127);
  });
});
