import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config/problem.js";
import { describeError, ExitCode, escapeControl, UsageError } from "../../src/errors.js";
import { LabError } from "../../src/lab/lab-status.js";

describe("describeError: one line, one exit code per error kind", () => {
  it("usage and lab errors exit 1 with their prefix, no stack", () => {
    expect(describeError(new UsageError("--limit x matches no host"))).toEqual({
      exitCode: ExitCode.invalid,
      text: "lvsplay: --limit x matches no host; nothing was changed.\n",
    });
    expect(describeError(new LabError("no lab is up"))).toEqual({
      exitCode: ExitCode.invalid,
      text: "lvsplay lab: no lab is up\n",
    });
  });

  it("config errors list every problem and count them", () => {
    const error = new ConfigError([
      { file: "i.yaml", line: 3, col: 5, path: "hosts.a", message: "bad" },
      { file: "i.yaml", line: 1, col: 1, path: "", message: "first" },
    ]);
    expect(describeError(error).text).toBe(
      "i.yaml:1:1: first\ni.yaml:3:5: hosts.a: bad\n2 problem(s); nothing was changed.\n",
    );
  });

  it("a bug is one readable line without its stack unless LVSPLAY_DEBUG=1", () => {
    const bug = new TypeError("x is undefined");
    const plain = describeError(bug);
    expect(plain.exitCode).toBe(ExitCode.invalid);
    expect(plain.text).toBe("lvsplay: internal error: x is undefined (set LVSPLAY_DEBUG=1 for the stack)\n");
    process.env["LVSPLAY_DEBUG"] = "1";
    try {
      expect(describeError(bug).text).toContain("at ");
    } finally {
      delete process.env["LVSPLAY_DEBUG"];
    }
  });

  it("control characters from input are escaped, never sent to the terminal", () => {
    expect(escapeControl("a\u001b[31mb\nc\u0000\u009b")).toBe("a\\x1b[31mb\nc\\x00\\x9b");
    expect(escapeControl("a\nb\tc", true)).toBe("a\\x0ab\tc");
    expect(describeError(new UsageError("host \u001b]0;pwned\u0007")).text).toBe(
      "lvsplay: host \\x1b]0;pwned\\x07; nothing was changed.\n",
    );
    const forged = new ConfigError([
      { file: "i.yaml", line: 1, col: 1, path: "hosts.a\nlvsplay: ok", message: "bad" },
    ]);
    expect(describeError(forged).text.split("\n")).toHaveLength(3);
  });
});
