import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { Secret } from "../../src/config/secret.js";
import {
  backstopSec,
  describeCommand,
  noteTimeout,
  SUDO_WITH_ASKPASS,
  wrapCommand,
} from "../../src/transport/wrap-command.js";

const SUDO_N = { enabled: true } as const;
const SUDO_PW = { enabled: true, passwordEnv: "LVSPLAY_TEST_SUDO_PW" } as const;
const NO_BECOME = { enabled: false } as const;

describe("wrapCommand", () => {
  it("passes argv through unchanged when there is no become and no timeout", () => {
    expect(wrapCommand({ argv: ["ip", "-j", "addr"] }, { become: NO_BECOME, runsAsRoot: false })).toEqual({
      argv: ["ip", "-j", "addr"],
    });
  });

  it("wraps in coreutils timeout, using the default when the command sets none", () => {
    const ctx = { become: NO_BECOME, runsAsRoot: false, defaultTimeoutSec: 60 };
    expect(wrapCommand({ argv: ["true"] }, ctx).argv).toEqual(["timeout", "--kill-after=5", "60", "true"]);
    expect(wrapCommand({ argv: ["true"], timeoutSec: 3 }, ctx)).toEqual({
      argv: ["timeout", "--kill-after=5", "3", "true"],
      timeoutSec: 3,
    });
  });

  it("multiplies every time limit by the host's timeout_scale (slow hosts), never adding one", () => {
    const ctx = { become: NO_BECOME, runsAsRoot: false, defaultTimeoutSec: 60, timeoutScale: 10 };
    expect(wrapCommand({ argv: ["true"] }, ctx).argv).toEqual(["timeout", "--kill-after=5", "600", "true"]);
    expect(wrapCommand({ argv: ["true"], timeoutSec: 2.5 }, ctx).timeoutSec).toBe(25);
    expect(
      wrapCommand({ argv: ["true"] }, { become: NO_BECOME, runsAsRoot: false, timeoutScale: 10 }),
    ).toEqual({
      argv: ["true"],
    });
  });

  it("uses sudo -n only for become commands on become hosts, with timeout inside sudo", () => {
    const ctx = { become: SUDO_N, runsAsRoot: false };
    expect(wrapCommand({ argv: ["ipvsadm", "-Ln"], become: true, timeoutSec: 10 }, ctx).argv).toEqual([
      "sudo",
      "-n",
      "--",
      "timeout",
      "--kill-after=5",
      "10",
      "ipvsadm",
      "-Ln",
    ]);
    expect(wrapCommand({ argv: ["id"] }, ctx).argv).toEqual(["id"]);
    expect(
      wrapCommand({ argv: ["id"], become: true }, { become: NO_BECOME, runsAsRoot: false }).argv,
    ).toEqual(["id"]);
  });

  it("never uses sudo when the login user is root", () => {
    expect(wrapCommand({ argv: ["id"], become: true }, { become: SUDO_N, runsAsRoot: true }).argv).toEqual([
      "id",
    ]);
  });

  it("feeds the sudo password on stdin ahead of the command's own input, never in argv", () => {
    const env = { LVSPLAY_TEST_SUDO_PW: "s3cr3t 'pw'" };
    const wrapped = wrapCommand(
      { argv: ["tee", "/etc/x"], become: true, stdin: "data\n" },
      {
        become: SUDO_PW,
        runsAsRoot: false,
        env,
      },
    );
    expect(wrapped.argv).toEqual(["sh", "-c", SUDO_WITH_ASKPASS, "lvsplay-sudo", "tee", "/etc/x"]);
    expect(wrapped.argv.join(" ")).not.toContain("s3cr3t");
    expect(wrapped.stdin).toBe("s3cr3t 'pw'\ndata\n");
  });

  it("the password line never reaches the command, also when sudo does not ask for it", () => {
    // As root here sudo never asks: exactly the NOPASSWD case that leaked with `sudo -S`.
    const r = spawnSync("sh", ["-c", SUDO_WITH_ASKPASS, "lvsplay-sudo", "cat"], {
      input: "s3cr3t 'pw'\nfile content\n",
      encoding: "utf8",
    });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("file content\n");
  });

  it("uses the password read at load (a password file) before any environment lookup", () => {
    const become = {
      enabled: true,
      passwordFile: "/home/ops/.sudo-pw",
      password: new Secret("from-file", "file"),
    };
    const wrapped = wrapCommand(
      { argv: ["id"], become: true },
      { become, runsAsRoot: false, env: { LVSPLAY_TEST_SUDO_PW: "from-env" } },
    );
    expect(wrapped.argv.join(" ")).not.toContain("from-file");
    expect(wrapped.stdin).toBe("from-file\n");
  });

  it("fails clearly when the password variable is not set", () => {
    expect(() =>
      wrapCommand({ argv: ["id"], become: true }, { become: SUDO_PW, runsAsRoot: false, env: {} }),
    ).toThrow(/LVSPLAY_TEST_SUDO_PW is not set/);
  });

  it("refuses an empty argv", () => {
    expect(() => wrapCommand({ argv: [] }, { become: NO_BECOME, runsAsRoot: false })).toThrow(/empty/);
  });
});

describe("timeout helpers", () => {
  it("gives the remote timeout and its KILL grace time before the local backstop fires", () => {
    expect(backstopSec(10)).toBeGreaterThan(10 + 5);
  });

  it("appends a timeout note on its own line, naming the command", () => {
    const command = { argv: ["firewall-cmd", "--reload"], timeoutSec: 2 };
    expect(noteTimeout("partial", { command, timeoutSec: 2 }, "x")).toBe(
      "partial\nlvsplay: command timed out after 2s (x): firewall-cmd --reload\n",
    );
    expect(noteTimeout("", { command, timeoutSec: 2 }, "x")).toBe(
      "lvsplay: command timed out after 2s (x): firewall-cmd --reload\n",
    );
  });

  it("says how the host's timeout_scale made the limit", () => {
    const command = { argv: ["firewall-cmd", "--permanent", "--add-port=80/tcp"], timeoutSec: 60 };
    expect(noteTimeout("", { command, timeoutSec: 600, scale: 10 }, "killed on the host")).toBe(
      "lvsplay: command timed out after 600s (limit 60 s × timeout_scale 10; killed on the host): " +
        "firewall-cmd --permanent '--add-port=80/tcp'\n",
    );
    // The limit came from the connection's default: the scale is still named.
    expect(noteTimeout("", { command: { argv: ["true"] }, timeoutSec: 600, scale: 10 }, "x")).toBe(
      "lvsplay: command timed out after 600s (timeout_scale 10; x): true\n",
    );
    // A scale of 1 adds nothing to say.
    expect(noteTimeout("", { command, timeoutSec: 60, scale: 1 }, "x")).toBe(
      "lvsplay: command timed out after 60s (x): firewall-cmd --permanent '--add-port=80/tcp'\n",
    );
  });
});

describe("describeCommand", () => {
  it("quotes argv, shows an inline script as sh -c … with its name and arguments", () => {
    expect(describeCommand({ argv: ["nft", "-f", "-"] })).toBe("nft -f -");
    expect(describeCommand({ argv: ["ip", "addr", "add", "a b"] })).toBe("ip addr add 'a b'");
    expect(
      describeCommand({ argv: ["sh", "-c", "long\nscript", "lvsplay-install", "/etc/x.conf", "0644"] }),
    ).toBe("sh -c … lvsplay-install /etc/x.conf 0644");
    expect(describeCommand({ argv: ["sh", "-c", "script"] })).toBe("sh -c …");
  });

  it("prefers the command's own name for itself, and cuts what is long", () => {
    expect(describeCommand({ argv: ["sh", "-c", "x"], what: "fact batch (os, kernel)" })).toBe(
      "fact batch (os, kernel)",
    );
    const long = describeCommand({ argv: ["echo", "y".repeat(1000)] });
    expect(long).toHaveLength(300);
    expect(long.endsWith("…")).toBe(true);
  });
});
