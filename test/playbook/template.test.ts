import { describe, expect, it } from "vitest";
import { ConfigError, formatProblem } from "../../src/config/problem.js";
import { parseInventory } from "../../src/inventory/load.js";
import { loadPlaybook, parsePlaybook } from "../../src/playbook/load.js";
import { locateArg } from "../../src/playbook/locate.js";
import {
  collectRefs,
  findTemplateProblems,
  renderArgs,
  TemplateError,
  templateVarsFor,
  validateTemplateRefs,
} from "../../src/playbook/template.js";
import { yaml } from "../config/problem-lines.js";

describe("renderArgs", () => {
  const vars = {
    pkg: "keepalived",
    ports: [80, 443],
    net: { vip: "7.7.7.100", mask: 32 },
    on: true,
    none: null,
  };

  it("a string that is exactly one reference yields the raw value", () => {
    expect(renderArgs("{{ ports }}", vars)).toEqual([80, 443]);
    expect(renderArgs("{{net.mask}}", vars)).toBe(32);
    expect(renderArgs("{{ none }}", vars)).toBeNull();
  });

  it("interpolates references inside longer strings, deep in args", () => {
    expect(
      renderArgs(
        { a: ["x-{{ pkg }}", "{{ net.vip }}/{{ net.mask }}", 5], b: { c: "on={{ on }} {{ ports }}" } },
        vars,
      ),
    ).toEqual({ a: ["x-keepalived", "7.7.7.100/32", 5], b: { c: "on=true [80,443]" } });
  });

  it("indexes lists with numeric path parts", () => {
    expect(renderArgs("{{ ports.1 }}", vars)).toBe(443);
  });

  it("throws a TemplateError naming the unknown variable and where it was", () => {
    const render = () => renderArgs({ list: ["ok", "{{ net.gateway }}"] }, vars);
    expect(render).toThrow('unknown variable "net.gateway"');
    try {
      render();
    } catch (err) {
      expect(err).toBeInstanceOf(TemplateError);
      expect((err as TemplateError).variable).toBe("net.gateway");
      expect((err as TemplateError).argPath).toEqual(["list", 1]);
    }
  });

  it("rejects malformed templates", () => {
    expect(() => renderArgs("{{ a b }}", vars)).toThrow(/malformed template/);
    expect(() => renderArgs("{{ pkg", vars)).toThrow(/malformed template/);
  });

  it("does not look up inherited properties", () => {
    expect(() => renderArgs("{{ toString }}", vars)).toThrow(/unknown variable "toString"/);
  });

  it("collects references with their arg paths", () => {
    expect(collectRefs({ a: ["{{ x }} {{ y.z }}"], b: 1 })).toEqual([
      { variable: "x", argPath: ["a", 0] },
      { variable: "y.z", argPath: ["a", 0] },
    ]);
  });
});

describe("validateTemplateRefs", () => {
  const inventory = parseInventory(
    yaml(
      "vars: { pkg: keepalived }",
      "groups:",
      "  directors: { vars: { role: ds } }",
      "hosts:",
      "  ds1: { address: 7.7.7.11, groups: [directors], vars: { svc: keepalived, nets: { lan: { cidr: 7.7.7.0/24 } } } }",
      "  ds2: { address: 7.7.7.12, groups: [directors] }",
      "  rs3: { address: 7.7.7.13, vars: { nets: { lan: { cidr: x } } } }",
    ),
    "inv.yaml",
  );
  const file = "test/fixtures/playbook/templated.yaml";
  const playbook = loadPlaybook(file, { knownOps: new Set(["service", "lvs.packages", "command"]) });

  it("reports unknown variables per targeted host, bad templates and bad patterns, positioned", () => {
    expect(findTemplateProblems(playbook, inventory).map(formatProblem)).toEqual([
      `${file}:4:19: handlers[0].args.name: unknown variable "svc" on host ds2`,
      `${file}:18:44: stages[1].tasks[0].args.argv[2]: unknown variable "nets.lan.cidr" on host ds2`,
      `${file}:18:83: stages[1].tasks[0].args.argv[3]: malformed template: use {{ name }} or {{ a.b }}`,
      `${file}:20:12: stages[2].hosts: host pattern "directrs": directrs is neither a host nor a group; did you mean "directors"?`,
    ]);
  });

  it("a value registered in the same stage is not yet known there (args render before the stage runs)", () => {
    const text = [
      "stages:",
      "  - name: one",
      "    hosts: all",
      "    tasks:",
      "      - { name: a, op: command, args: { argv: [true] }, register: r }",
      '      - { name: b, op: command, args: { argv: [echo, "{{ r.v }}"] } }',
      "  - name: two",
      "    hosts: all",
      "    tasks:",
      '      - { name: c, op: command, args: { argv: [echo, "{{ r.v }}"] } }',
      "",
    ].join("\n");
    const pb = parsePlaybook(text, "same-stage.yaml", { knownOps: new Set(["command"]) });
    expect(findTemplateProblems(pb, inventory).map(formatProblem)).toEqual([
      'same-stage.yaml:6:54: stages[0].tasks[1].args.argv[1]: unknown variable "r.v" on host ds1, ds2, rs3',
    ]);
  });

  it("throws a ConfigError with those problems", () => {
    expect(() => validateTemplateRefs(playbook, inventory)).toThrow(ConfigError);
  });

  it("passes when every reference resolves", () => {
    const ok = loadPlaybook(file, { knownOps: new Set(["service", "lvs.packages", "command"]) });
    const full = parseInventory(
      yaml(
        "vars: { pkg: p, role: r, svc: s, nets: { lan: { cidr: c } } }",
        "hosts:",
        "  ds1: { address: 7.7.7.11, groups: [directors] }",
      ),
      "inv.yaml",
    );
    const stages = ok.stages.slice(0, 1);
    expect(() => validateTemplateRefs({ ...ok, stages }, full)).not.toThrow();
  });

  it("the positions match where renderArgs fails at run time", () => {
    const task = playbook.stages[1]!.tasks[0]!;
    const ds2 = inventory.hosts.find((h) => h.name === "ds2")!;
    try {
      renderArgs(task.args, templateVarsFor(ds2, { ds2: { macs: { ds1: "52:54:00:00:00:01" } } }));
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(TemplateError);
      expect(locateArg(task, (err as TemplateError).argPath)).toEqual({ file, line: 18, col: 44 });
    }
  });

  it("exposes host vars, published values and the built-in host", () => {
    const ds1 = inventory.hosts.find((h) => h.name === "ds1")!;
    const vars = templateVarsFor(ds1, { ds1: { macs: { eth1: "m" } } });
    expect(renderArgs("{{ host.name }} {{ host.address }} {{ role }} {{ pkg }} {{ macs.eth1 }}", vars)).toBe(
      "ds1 7.7.7.11 ds keepalived m",
    );
  });
});
