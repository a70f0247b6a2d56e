// Hostile YAML becomes one positioned problem each: too big, too deep,
// duplicate keys (checked in linear time), alias bombs and circular aliases,
// several documents. Timings are measured by `node scripts/bench-input.mjs`.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readConfigFile } from "../../src/config/read-file.js";
import { MAX_ALIAS_NODES, MAX_INPUT_BYTES, MAX_NESTING } from "../../src/config/yaml-limits.js";
import { parseYaml } from "../../src/config/yaml-source.js";
import { problemLines, yaml } from "./problem-lines.js";

const lines = (text: string) =>
  parseYaml(text, "f.yaml").problems.map((p) => `${p.line}:${p.col}: ${p.message}`);

const nestedFlow = (depth: number) => `a: ${"[".repeat(depth)}${"]".repeat(depth)}\n`;
const nestedBlock = (depth: number) =>
  `${Array.from({ length: depth }, (_, i) => `${"  ".repeat(i)}k${i}:`).join("\n")} 1\n`;

describe("YAML limits", () => {
  it("accepts nesting up to the limit and refuses one level more, where it starts", () => {
    expect(lines(nestedFlow(MAX_NESTING - 1))).toEqual([]);
    expect(lines(nestedFlow(MAX_NESTING))).toEqual([
      // The top-level map is the first level: bracket number MAX_NESTING is one too many.
      `1:${MAX_NESTING + 3}: nesting deeper than ${MAX_NESTING} levels (mappings and lists inside each other)`,
    ]);
    expect(lines(nestedFlow(2000))).toHaveLength(1);
    expect(lines(nestedBlock(2000))[0]).toMatch(/^65:\d+: nesting deeper than 64 levels/);
  });

  it("reports every duplicate key at its second occurrence, in nested maps too", () => {
    expect(lines(yaml("a: 1", "b:", "  x: 1", "  x: 2", "a: 3"))).toEqual([
      '4:3: duplicate key "x" (each key may appear only once in a mapping)',
      '5:1: duplicate key "a" (each key may appear only once in a mapping)',
    ]);
    // Many distinct keys: no problem (and no quadratic check: scripts/bench-input.mjs times 25k-100k).
    const many = ["vars:", ...Array.from({ length: 20_000 }, (_, i) => `  k${i}: ${i}`)].join("\n");
    expect(lines(many)).toEqual([]);
  });

  it("refuses an alias bomb at the alias that crosses the limit, and circular aliases", () => {
    const level = (name: string, of: string) => `${name}: &${name} [${Array(10).fill(`*${of}`).join(", ")}]`;
    const bomb = yaml(
      "a: &a [x, x, x, x, x, x, x, x, x, x]",
      level("b", "a"),
      level("c", "b"),
      level("d", "c"),
      level("e", "d"),
      level("f", "e"),
      level("g", "f"),
    );
    const problems = lines(bomb);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      new RegExp(`^5:\\d+: aliases expand to more than ${MAX_ALIAS_NODES} values \\(an alias bomb\\?\\)$`),
    );
    expect(lines(yaml("a: &a", "  b: *a"))).toEqual([
      "2:6: alias *a refers to a node that contains it (circular data)",
    ]);
    // Ordinary aliases are fine.
    expect(parseYaml(yaml("d: &d { user: root }", "h1: *d", "h2: *d"), "f.yaml").data).toEqual({
      d: { user: "root" },
      h1: { user: "root" },
      h2: { user: "root" },
    });
  });

  it("refuses a second document and reports syntax errors at their position", () => {
    expect(lines(yaml("a: 1", "---", "b: 2"))).toEqual([
      '2:1: a second YAML document ("---"): put everything in one',
    ]);
    expect(lines(yaml("a: [1, 2"))[0]).toMatch(/^\d+:\d+: YAML syntax error: /);
  });

  it("refuses text over the size limit without parsing it", () => {
    const big = `a: "${"x".repeat(MAX_INPUT_BYTES)}"\n`;
    expect(lines(big)).toEqual([`1:1: file is 4.0 MiB; the limit is 4.0 MiB (README, "Limits")`]);
  });
});

describe("config files are regular files of bounded size", () => {
  const dir = mkdtempSync(join(tmpdir(), "lvsplay-read-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("a FIFO, a device, a directory or a huge file is a problem at 1:1, and nothing blocks", () => {
    const fifo = join(dir, "fifo.yaml");
    // mkfifo(1): node has no API for it.
    const { status } = spawnSync("mkfifo", [fifo]);
    expect(status).toBe(0);
    expect(problemLines(() => readConfigFile(fifo))).toEqual([
      `${fifo}:1:1: cannot read file: a named pipe (FIFO), expected a regular file`,
    ]);
    expect(problemLines(() => readConfigFile("/dev/zero"))).toEqual([
      "/dev/zero:1:1: cannot read file: a device, expected a regular file",
    ]);
    expect(problemLines(() => readConfigFile(dir))).toEqual([
      `${dir}:1:1: cannot read file: a directory, expected a regular file`,
    ]);
    const big = join(dir, "big.yaml");
    writeFileSync(big, Buffer.alloc(MAX_INPUT_BYTES + 1, 0x61));
    expect(problemLines(() => readConfigFile(big))).toEqual([
      `${big}:1:1: cannot read file: ${MAX_INPUT_BYTES + 1} bytes, larger than the limit of 4 MiB`,
    ]);
  });
});
