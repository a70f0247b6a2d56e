// The character sets every loader and renderer shares: what each accepts, what
// it refuses and how it says so (never echoing a secret).
import { describe, expect, it } from "vitest";
import {
  ARGV_WORD,
  assertCharset,
  CharsetError,
  charsetMessage,
  charsetViolation,
  ENV_NAME,
  HOST_PATTERN,
  HTTP_PATH,
  INTERFACE,
  IPV4,
  KEEPALIVED_PATH,
  LABEL,
  LOCAL_PATH,
  MAC,
  NAME,
  REMOTE_PATH,
  SCRIPT_COMMAND,
  SERVICE_UNIT,
  USER,
  VRRP_PASSWORD,
} from "../../src/config/charsets.js";

const ok = (set: typeof NAME, ...values: string[]) =>
  values.forEach((v) => {
    expect(charsetViolation(set, v), JSON.stringify(v)).toBe("");
  });
const bad = (set: typeof NAME, ...values: string[]) =>
  values.forEach((v) => {
    expect(charsetViolation(set, v), JSON.stringify(v)).not.toBe("");
  });

describe("character sets", () => {
  it("VRRP password: refuses keepalived's $ expansion, block and comment syntax, quotes, whitespace, NUL", () => {
    ok(VRRP_PASSWORD, "s3cret", "a-b_c.d", "P@ss:1;2", "(x)[y]", "a/b?c|d", "~%^&*+=,");
    bad(
      VRRP_PASSWORD,
      "$_RANDOM",
      "\u0024{x}",
      "$_PWD",
      "a}b",
      "{a",
      "a\\b",
      'a"b',
      "a'b",
      "a#b",
      "a!b",
      "a b",
      "a\tb",
      "a\nb",
      "a\u0000b",
      "a\u001bb",
      "a`b",
      "",
      "123456789",
      "pässwd",
    );
  });

  it("never repeats a secret's characters in its message", () => {
    const message = charsetMessage(VRRP_PASSWORD, "ab$cdef") ?? "";
    expect(message).toContain("character 3 is not allowed");
    expect(message).not.toContain("$c");
    expect(() => assertCharset(VRRP_PASSWORD, "x}y", "auth_pass")).toThrow(CharsetError);
    try {
      assertCharset(VRRP_PASSWORD, "x}y", "auth_pass");
    } catch (error) {
      expect((error as Error).message).not.toContain("x}y");
    }
  });

  it("interface names: one word for keepalived, iptables and ip, at most 15 characters", () => {
    ok(INTERFACE, "eth1", "enp0s3", "br-lan.100", "wg0", "bond0.42", "veth_a");
    bad(
      INTERFACE,
      "eth}",
      "eth 0",
      "eth0/1",
      "-eth0",
      ".",
      "..",
      "eth0\n",
      "a234567890123456",
      "eth0:1",
      "e$x",
    );
  });

  it("names: letters, digits . _ -, 1-64 (service names stay far below iptables' 255-byte comment)", () => {
    ok(NAME, "ds1", "web", "a.b_c-d", "x".repeat(64));
    bad(NAME, "x".repeat(65), "-a", ".a", "a b", "a;b", "a\nb", "a}b", "é");
    expect(`lvsplay:${"x".repeat(NAME.maxLength)}`.length).toBeLessThan(255);
  });

  it("paths: no control characters or NUL; remote paths are absolute", () => {
    ok(REMOTE_PATH, "/etc/x", "/tmp/a b", "/x'y");
    bad(REMOTE_PATH, "etc/x", "/a\u0000b", "/a\nb", "/a\u0085b", `/${"x".repeat(4096)}`);
    ok(LOCAL_PATH, "~/.ssh/id", "relative/key");
    bad(LOCAL_PATH, "", "a\u0000", "a\rb");
  });

  it("argv words carry anything but NUL", () => {
    ok(ARGV_WORD, "", "sh", "a\nb; rm -rf /", "$(reboot)");
    bad(ARGV_WORD, "a\u0000b", "x".repeat(131_073));
  });

  it("HTTP paths, host patterns, users, env names, service units, labels", () => {
    ok(HTTP_PATH, "/", "/health?x=1&y=2", "/a/b.html");
    bad(HTTP_PATH, "health", "/a b", "/\u0024{x}", "/a}", "/#", "/!x", '/"');
    ok(HOST_PATTERN, "all", "directors:!ds3", "ds[12]*:&web", "a,b");
    bad(HOST_PATTERN, "ds1\n* * * * * root touch /tmp/PWNED #", "a b", "$(x)", "a'b");
    ok(USER, "root", "deploy_1", "a.b-c");
    bad(USER, "-oProxyCommand=x", "a b", "x".repeat(33));
    ok(ENV_NAME, "SUDO_PASS", "_x1");
    bad(ENV_NAME, "1X", "A-B", "A B");
    ok(SERVICE_UNIT, "keepalived", "getty@tty1.service", "nginx");
    bad(SERVICE_UNIT, "-x", "a b", "a;b", "a/b");
    ok(LABEL, "install packages", "VIP, loop freedom");
    bad(LABEL, " ", "a\nb", "a\u001b[31m", "x".repeat(201));
  });

  it("addresses: dotted quads without leading zeros; MACs as six hex pairs", () => {
    ok(IPV4, "7.7.7.100", "0.0.0.0", "255.255.255.255");
    bad(IPV4, "7.7.7", "7.7.7.256", "07.7.7.7", "7.7.7.7\n", "7.7.7.7 ", "1.2.3.4.5");
    ok(MAC, "02:00:07:07:07:12", "AA:bb:CC:dd:EE:ff");
    bad(MAC, "02:00:07:07:07", "02-00-07-07-07-12", "02:00:07:07:07:1}", "zz:00:07:07:07:12");
  });

  it("says which character is wrong, escaped when it is a control character", () => {
    expect(charsetViolation(NAME, "a;b")).toBe('";" is not allowed');
    expect(charsetViolation(NAME, "a\u001bb")).toBe('"\\x1b" is not allowed');
    expect(charsetViolation(NAME, "-a")).toBe('it cannot start with "-"');
    expect(charsetViolation(NAME, "")).toBe("it is empty");
    expect(charsetViolation(INTERFACE, "a\u202eb")).toBe('"\\u{202e}" is not allowed');
  });

  it("keepalived paths and hook commands: plain characters, absolute, nothing keepalived reads as syntax", () => {
    ok(KEEPALIVED_PATH, "/etc/keepalived/lvsplay.conf", "/opt/k_2/a-b.conf");
    bad(
      KEEPALIVED_PATH,
      "etc/k.conf",
      "/etc/k*.conf",
      "/etc/k ep.conf",
      "/etc/$X.conf",
      "/etc/k{a}.conf",
      "/etc/k/",
      "/etc/k#.conf",
    );
    ok(
      SCRIPT_COMMAND,
      "/usr/local/sbin/vip-up",
      "/usr/bin/logger -t lvsplay-master ds1",
      "/x/check --port=80,81 a@b 50%",
    );
    bad(
      SCRIPT_COMMAND,
      "vip-up",
      "/usr/bin/x $HOME",
      '/usr/bin/x "a b"',
      "/usr/bin/x a\\",
      "/usr/bin/x # c",
      "/usr/bin/x ! c",
      "/usr/bin/x {",
      "/usr/bin/x  a",
      "/usr/bin/x ",
      "/ a",
      "/usr/bin/x;reboot",
      "/usr/bin/x\na",
    );
  });
});
