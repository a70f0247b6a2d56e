#!/usr/bin/env node
// CI step (.ci/run): containerlab/lvs.clab.yml must stay a valid containerlab
// topology, checked against containerlab's own JSON schema (draft-07). The
// schema is not part of this repository (npm test must not read outside it):
// it is looked for in $CLAB_SCHEMA, else ../shared/reference/containerlab/
// beside the clone. Absent: a clear message and exit 1, never a silent pass.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { Ajv } from "ajv";
import { parse } from "yaml";

const repoRoot = path.resolve(import.meta.dirname, "..");
const schemaFile =
  process.env.CLAB_SCHEMA ?? path.resolve(repoRoot, "../shared/reference/containerlab/clab.schema.json");
const topologyFile = path.join(repoRoot, "containerlab", "lvs.clab.yml");

const fail = (message) => {
  console.error(`check-clab-schema: ${message}`);
  process.exit(1);
};

if (!existsSync(schemaFile)) {
  fail(
    `containerlab's schema is not at ${schemaFile}; set CLAB_SCHEMA to clab.schema.json ` +
      "(https://github.com/srl-labs/containerlab/blob/main/schemas/clab.schema.json) to check the lab topology",
  );
}
const schema = JSON.parse(readFileSync(schemaFile, "utf8"));
if (schema.$schema !== "http://json-schema.org/draft-07/schema#") fail(`${schemaFile} is not a draft-07 schema`);
// strict: false — the schema carries VS Code's `markdownDescription` and a
// 2020-12 `prefixItems` that draft-07 validators must ignore, not reject.
const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);
const load = () => parse(readFileSync(topologyFile, "utf8"));

if (!validate(load())) fail(`${topologyFile} is not valid:\n${JSON.stringify(validate.errors, null, 2)}`);

// The validator must reject what containerlab would reject (else the check above proves nothing).
const broken = [
  ["an unknown node kind", (t) => (t.topology.nodes.ds1.kind = "linuxx")],
  ["a bad link MAC", (t) => (t.topology.links[0].endpoints[0].mac = "not-a-mac")],
  ["an unknown node field", (t) => (t.topology.nodes.ds2["lvsplay-role"] = "director")],
];
for (const [what, spoil] of broken) {
  const topology = load();
  spoil(topology);
  if (validate(topology)) fail(`the schema accepted ${what}: the validator is not checking`);
}
console.log(`check-clab-schema: ${path.relative(repoRoot, topologyFile)} is valid against ${schemaFile}`);
