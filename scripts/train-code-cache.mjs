#!/usr/bin/env node
// Writes V8's code cache for the bundle (called by scripts/bundle.mjs):
//   node scripts/train-code-cache.mjs dist/bundle/lvsplay.cjs
// A cache made right after compiling holds little (V8 compiles most functions
// only when they first run): measured here, `lvsplay validate` took 0.20 s with
// it as without. So the bundle runs one real command first, `lvsplay validate`
// on the built-in lab's inventory (commander, YAML, the schemas, the playbook:
// what every verb does before its first SSH byte), and the cache is taken as
// the process exits, with every function compiled by then. That command reads
// files only; its output is not shown.
import { writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const bundle = process.argv[2];
if (!bundle) {
  console.error("usage: node scripts/train-code-cache.mjs BUNDLE");
  process.exit(2);
}
const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const file = resolve(bundle);
process.argv = [process.argv[0] ?? "node", file, "validate", join(root, "containerlab", "inventory.yaml")];
// The training command's own output is not the build's.
process.stdout.write = () => true;
const { cacheFileContent, runBundle } = createRequire(import.meta.url)("../bin/run-bundle.cjs");
const script = runBundle(file);
process.on("exit", () => {
  const content = cacheFileContent(file, script);
  if (content === undefined) {
    process.stderr.write(`${file} names no build (its first line): no cache written\n`);
    process.exitCode = 1;
    return;
  }
  writeFileSync(`${file}.cache`, content);
  // The command's verdict does not matter, only what it compiled.
  process.exitCode = 0;
});
