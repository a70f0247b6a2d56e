// containerlab/lvs.clab.yml must stay a valid containerlab topology: validated
// against containerlab's own JSON schema (draft-07), kept beside the clone in
// ../shared/reference/containerlab/.
import { readFileSync } from "node:fs";
import path from "node:path";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const repoRoot = path.resolve(import.meta.dirname, "..", "..");
const schemaFile = path.resolve(repoRoot, "../shared/reference/containerlab/clab.schema.json");
const topologyFile = path.join(repoRoot, "containerlab", "lvs.clab.yml");

function validator() {
  const schema = JSON.parse(readFileSync(schemaFile, "utf8")) as Record<string, unknown>;
  expect(schema["$schema"]).toBe("http://json-schema.org/draft-07/schema#");
  // strict: false — the schema carries VS Code's `markdownDescription` and a
  // 2020-12 `prefixItems` that draft-07 validators must ignore, not reject.
  return new Ajv({ strict: false, allErrors: true }).compile(schema);
}

describe("containerlab topology", () => {
  const validate = validator();

  it("lvs.clab.yml is valid against containerlab's schema", () => {
    const topology: unknown = parse(readFileSync(topologyFile, "utf8"));
    const ok = validate(topology);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it("the validator rejects what containerlab would reject", () => {
    const topology = parse(readFileSync(topologyFile, "utf8")) as {
      topology: {
        nodes: Record<string, Record<string, unknown>>;
        links: { endpoints: { mac?: string }[] }[];
      };
    };
    topology.topology.nodes["ds1"]!["kind"] = "linuxx";
    expect(validate(topology)).toBe(false);
    const badMac = parse(readFileSync(topologyFile, "utf8")) as typeof topology;
    badMac.topology.links[0]!.endpoints[0]!.mac = "not-a-mac";
    expect(validate(badMac)).toBe(false);
    const badField = parse(readFileSync(topologyFile, "utf8")) as typeof topology;
    badField.topology.nodes["ds2"]!["lvsplay-role"] = "director"; // extra data must go in labels
    expect(validate(badField)).toBe(false);
  });
});
