#!/usr/bin/env node
// The launcher (package.json "bin"). `npm run build` (run by `npm ci` via
// prepare) compiles src/ to dist/ and bundles the CLI into
// dist/bundle/lvsplay.cjs: one script instead of ~300 modules, run with V8's
// code cache by run-bundle.cjs (start-up is most of a short run). The bundle is
// used only when every file it was built from (dist/bundle/inputs.json, written
// last by scripts/bundle.mjs) exists and is not newer than it; otherwise the
// compiled modules run, so a stale bundle never does. The check is ~200 stat
// calls (~2 ms). CommonJS: an ES module entry point costs ~10 ms more here.
"use strict";
const { readFileSync, statSync } = require("node:fs");
const { join } = require("node:path");
const { pathToFileURL } = require("node:url");

const root = join(__dirname, "..");
const bundle = join(root, "dist", "bundle", "lvsplay.cjs");
const bundleIsCurrent = () => {
  try {
    statSync(bundle);
    const stampPath = join(root, "dist", "bundle", "inputs.json");
    const built = statSync(stampPath).mtimeMs;
    for (const rel of JSON.parse(readFileSync(stampPath, "utf8"))) {
      const input = statSync(join(root, rel), { throwIfNoEntry: false });
      // A missing lock file: installed as a dependency (npm keeps it one level up), nothing to compare.
      if (input === undefined ? rel !== "node_modules/.package-lock.json" : input.mtimeMs > built)
        return false;
    }
    return true;
  } catch {
    return false;
  }
};
if (bundleIsCurrent()) require("./run-bundle.cjs").runBundle(bundle);
else
  import(pathToFileURL(join(root, "dist", "cli", "main.js")).href).catch((error) => {
    process.stderr.write(`lvsplay: cannot load dist/cli/main.js (run \`npm run build\`): ${error.message}\n`);
    process.exitCode = 1;
  });
