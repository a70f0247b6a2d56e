import { describe, expect, it } from "vitest";
import { ConfigError, formatFound, formatPath, formatProblem } from "../../src/config/problem.js";
import { closeNames, editDistance } from "../../src/config/suggest.js";
import { parseYaml, positionAt } from "../../src/config/yaml-source.js";
import { yaml } from "./problem-lines.js";

describe("problem formatting", () => {
  it("formats file:line:col: path: message", () => {
    expect(
      formatProblem({ file: "inventory.yaml", line: 12, col: 11, path: "hosts.ds1.port", message: "bad" }),
    ).toBe("inventory.yaml:12:11: hosts.ds1.port: bad");
    expect(formatProblem({ file: "a.yaml", line: 1, col: 2, path: "", message: "syntax" })).toBe(
      "a.yaml:1:2: syntax",
    );
  });

  it("shows found values JSON-ish and truncates long ones", () => {
    expect(formatFound("abc")).toBe('"abc"');
    expect(formatFound(42)).toBe("42");
    expect(formatFound(undefined)).toBe("nothing");
    const long = formatFound({ key: "x".repeat(100) });
    expect(long.length).toBe(40);
    expect(long.endsWith("…")).toBe(true);
  });

  it("renders key paths with indexes", () => {
    expect(formatPath(["lvs", "services", 0, "vip"])).toBe("lvs.services[0].vip");
    expect(formatPath([])).toBe("");
  });

  it("ConfigError sorts problems by position and lists them in its message", () => {
    const err = new ConfigError([
      { file: "f", line: 3, col: 1, path: "b", message: "second" },
      { file: "f", line: 1, col: 5, path: "a", message: "first" },
    ]);
    expect(err.problems.map((p) => p.message)).toEqual(["first", "second"]);
    expect(err.message).toBe("f:1:5: a: first\nf:3:1: b: second");
  });
});

describe("suggestions", () => {
  it("computes edit distance", () => {
    expect(editDistance("protocl", "protocol")).toBe(1);
    expect(editDistance("", "abc")).toBe(3);
  });
  it("suggests close names only", () => {
    expect(closeNames("protocl", ["protocol", "ports", "port"])).toEqual(["protocol"]);
    expect(closeNames("zzz", ["protocol", "ports"])).toEqual([]);
  });
});

describe("positions in YAML", () => {
  const src = parseYaml(yaml("a:", "  b: 1", "  c:", "list:", "  - x: 2", "  - {y: 3}"), "t.yaml").source;
  it("points at values, keys, null values and missing keys", () => {
    expect(positionAt(src, ["a", "b"])).toEqual({ line: 2, col: 6 });
    expect(positionAt(src, ["a", "b"], "key")).toEqual({ line: 2, col: 3 });
    // `c:` has no value: point at the key
    expect(positionAt(src, ["a", "c"])).toEqual({ line: 3, col: 3 });
    // missing key: the key that owns the parent map
    expect(positionAt(src, ["a", "missing"])).toEqual({ line: 1, col: 1 });
    expect(positionAt(src, ["list", 1, "y"])).toEqual({ line: 6, col: 9 });
    expect(positionAt(src, ["list", 0, "nope"])).toEqual({ line: 5, col: 5 });
  });
});
