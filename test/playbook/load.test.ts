import { describe, expect, it } from "vitest";
import { loadPlaybook, parsePlaybook } from "../../src/playbook/load.js";
import { locateArg, locateField } from "../../src/playbook/locate.js";
import { problemLines, yaml } from "../config/problem-lines.js";

const knownOps = new Set(["service", "command", "lvs.packages", "lvs.verify", "file"]);
const FIXTURES = "test/fixtures/playbook";
const parse = (source: string) => problemLines(() => parsePlaybook(source, "play.yaml", { knownOps }));

describe("playbook loading", () => {
  const site = loadPlaybook(`${FIXTURES}/site.yaml`, { knownOps });

  it("builds the playbook model with positions", () => {
    expect(site.name).toBe("LVS HA");
    expect(site.file).toBe(`${FIXTURES}/site.yaml`);
    expect(site.handlers).toEqual([
      {
        name: "reload keepalived",
        op: "service",
        args: { name: "keepalived", action: "reload" },
        pos: { file: `${FIXTURES}/site.yaml`, line: 3, col: 5 },
      },
    ]);
    const [install, verify] = site.stages;
    expect(install).toMatchObject({
      name: "install packages",
      hosts: "directors:realservers",
      tags: ["packages"],
    });
    expect(install?.pos).toEqual({ file: `${FIXTURES}/site.yaml`, line: 7, col: 5 });
    expect(install?.tasks[0]).toEqual({
      name: "ensure packages",
      op: "lvs.packages",
      args: { extra: ["{{ pkg }}", "tcpdump"] },
      notify: ["reload keepalived"],
      tags: ["x"],
      register: "macs",
      pos: { file: `${FIXTURES}/site.yaml`, line: 11, col: 9 },
    });
    // defaults: name = op, args = {}, a single notify string becomes a list
    expect(install?.tasks[1]).toMatchObject({
      name: "command",
      args: {},
      notify: ["reload keepalived"],
      tags: [],
    });
    expect(verify?.tasks[0]?.notify).toEqual([]);
  });

  it("locates args and fields of loaded tasks", () => {
    const task = site.stages[0]!.tasks[0]!;
    const file = `${FIXTURES}/site.yaml`;
    expect(locateArg(task, ["extra", 1])).toEqual({ file, line: 16, col: 15 });
    expect(locateArg(task, ["extra"])).toEqual({ file, line: 14, col: 11 });
    // missing parts resolve to the nearest existing parent
    expect(locateArg(task, ["nope", 3])).toEqual({ file, line: 13, col: 9 });
    expect(locateArg(site.handlers[0]!, ["action"])).toEqual({ file, line: 5, col: 39 });
    expect(locateField(site.stages[1]!, ["hosts"])).toEqual({ file, line: 23, col: 12 });
    // a task without args: its own position
    const bare = site.stages[0]!.tasks[1]!;
    expect(locateArg(bare, ["x"])).toEqual({ file, line: 20, col: 9 });
  });

  it("falls back to the task's own pos for objects not made by the loader", () => {
    const pos = { file: "x.yaml", line: 3, col: 4 };
    expect(locateArg({ name: "t", op: "file", args: {}, notify: [], tags: [], pos }, ["a"])).toBe(pos);
  });

  it("defaults the name to the file name", () => {
    const play = parsePlaybook(
      yaml("stages:", "  - name: s", "    hosts: all", "    tasks: [{ op: file }]"),
      "/x/my-play.yaml",
      { knownOps },
    );
    expect(play.name).toBe("my-play");
    expect(play.handlers).toEqual([]);
  });

  it("reports unknown ops with close names, missing handlers, and duplicate names at once", () => {
    const file = `${FIXTURES}/errors.yaml`;
    expect(problemLines(() => loadPlaybook(file, { knownOps }))).toEqual(
      [
        '4:11: handlers[1].name: handler name "reload keepalived" is already used',
        '11:13: stages[0].tasks[0].op: unknown operation "lvs.pakages"; did you mean "lvs.packages"?',
        '12:18: stages[0].tasks[0].notify[0]: no handler named "reload keepalivd"; did you mean "reload keepalived"?',
        '13:11: stages[1].name: stage name "one" is already used',
        '16:13: stages[1].tasks[0].op: unknown operation "frobnicate" (run "lvsplay ops" to list operations)',
        '17:17: stages[1].tasks[0].notify: no handler named "restart nginx"',
      ].map((line) => `${file}:${line}`),
    );
  });

  it("rejects unknown keys, wrong types and missing keys with positions", () => {
    const source = yaml(
      "stages:",
      "  - name: s",
      "    host: all",
      "    tasks:",
      "      - op: file",
      "        arg: {}",
      "        tags: x",
      "        register: 1abc",
    );
    expect(parse(source)).toEqual([
      "play.yaml:2:5: stages[0].hosts: missing required key (expected a host pattern)",
      'play.yaml:3:5: stages[0].host: unknown key "host"; did you mean "hosts"?',
      'play.yaml:6:9: stages[0].tasks[0].arg: unknown key "arg"; did you mean "args"?',
      'play.yaml:7:15: stages[0].tasks[0].tags: expected a list, found "x"',
      'play.yaml:8:19: stages[0].tasks[0].register: expected an identifier (letters, digits, _; not starting with a digit), found "1abc"',
    ]);
  });

  it("requires at least one stage and reports YAML errors", () => {
    expect(parse(yaml("stages: []"))).toEqual([
      "play.yaml:1:1: stages: expected at least one stage, found []",
    ]);
    expect(parse(yaml("stages:", "  - name: a", "  - name: a", "   bad"))).toHaveLength(1);
  });
});
