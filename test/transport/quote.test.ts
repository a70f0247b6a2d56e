import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { quoteArg, shellJoin } from "../../src/transport/quote.js";

const NASTY = [
  "",
  " ",
  "plain",
  "it's",
  "'",
  "''",
  '"double"',
  "back\\slash\\",
  "$HOME",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal shell expansion is the point
  "${PATH}",
  "$(id)",
  "`id`",
  "a;b|c&d",
  "line1\nline2\n",
  "\n",
  "tab\there",
  "*",
  "~",
  "!event",
  "{a,b}",
  "[x]",
  "#not a comment",
  "A=b",
  "-n",
  "ünïcødé ✓",
  "\x01\x02\x7f",
  "trailing space ",
  "'; rm -rf / #",
];

/** Run `sh -c 'printf "%s\0" WORDS'` and split the NUL-terminated output back into words. */
function roundTrip(argv: readonly string[]): string[] {
  const out = execFileSync("sh", ["-c", `printf '%s\\0' ${argv.map(quoteArg).join(" ")}`], {
    encoding: "utf8",
  });
  return out.split("\0").slice(0, -1);
}

describe("quoteArg", () => {
  it("leaves plain words alone and single-quotes everything else", () => {
    expect(quoteArg("ipvsadm")).toBe("ipvsadm");
    expect(quoteArg("--kill-after")).toBe("--kill-after");
    expect(quoteArg("/etc/keepalived/keepalived.conf")).toBe("/etc/keepalived/keepalived.conf");
    expect(quoteArg("")).toBe("''");
    expect(quoteArg("a b")).toBe("'a b'");
    expect(quoteArg("it's")).toBe("'it'\\''s'");
    expect(quoteArg("A=b")).toBe("'A=b'");
  });

  it("rejects NUL bytes", () => {
    expect(() => quoteArg("a\0b")).toThrow(/NUL/);
    expect(() => shellJoin(["echo", "\0"])).toThrow(/NUL/);
  });

  it("survives a real sh -c round trip for every nasty string", () => {
    expect(roundTrip(NASTY)).toEqual(NASTY);
  });

  it("survives bash and dash alike (sshd uses the login shell)", () => {
    for (const shell of ["bash", "dash"]) {
      const out = execFileSync(shell, ["-c", `printf '%s\\0' ${NASTY.map(quoteArg).join(" ")}`], {
        encoding: "utf8",
      });
      expect(out.split("\0").slice(0, -1)).toEqual(NASTY);
    }
  });
});

describe("shellJoin", () => {
  it("joins argv so the shell sees exactly those words", () => {
    const cmd = shellJoin(["printf", "%s|", "a b", "$x", "it's"]);
    expect(execFileSync("sh", ["-c", cmd], { encoding: "utf8" })).toBe("a b|$x|it's|");
  });

  it("runs a program whose name looks like an assignment as a program", () => {
    expect(() => execFileSync("sh", ["-c", shellJoin(["X=1"])], { stdio: "pipe" })).toThrow(/not found/);
  });

  it("refuses an empty argv", () => {
    expect(() => shellJoin([])).toThrow(/empty/);
  });
});
