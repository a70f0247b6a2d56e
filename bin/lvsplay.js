#!/usr/bin/env node
// Thin launcher. `npm run build` (run by `npm ci` via prepare) compiles src/ to
// dist/ and bundles the CLI into dist/bundle/ (a few files instead of ~300
// modules: start-up is most of a short run). The bundle is used only when every
// file it was built from (dist/bundle/inputs.json, written last by
// scripts/bundle.mjs) exists and is not newer than it; otherwise the compiled
// modules run, so a stale bundle never does. The check is ~200 stat calls (a few ms).
import { readFileSync, statSync } from "node:fs";

const root = new URL("../", import.meta.url);
const bundleIsCurrent = () => {
  try {
    const stampPath = new URL("dist/bundle/inputs.json", root);
    const built = statSync(stampPath).mtimeMs;
    for (const rel of JSON.parse(readFileSync(stampPath, "utf8"))) {
      const input = statSync(new URL(rel, root), { throwIfNoEntry: false });
      // A missing lock file: installed as a dependency (npm keeps it one level up), nothing to compare.
      if (input === undefined ? rel !== "node_modules/.package-lock.json" : input.mtimeMs > built)
        return false;
    }
    return true;
  } catch {
    return false;
  }
};
await import(bundleIsCurrent() ? "../dist/bundle/main.js" : "../dist/cli/main.js");
