#!/usr/bin/env node
// The published CLI as one CommonJS script instead of ~300 modules: tsc
// compiles src/ to dist/ (kept: tests and the lab use it), then esbuild bundles
// dist/cli/main.js with its dependencies into dist/bundle/lvsplay.cjs, and a
// training run (scripts/train-code-cache.mjs: `lvsplay validate` on the
// built-in lab's inventory) leaves V8's compiled code beside it
// (lvsplay.cjs.cache), which bin/run-bundle.js hands back to V8 on every run.
// Start-up is paid on every run (cron audits, CI): resolving and loading
// hundreds of small modules, then compiling them, was most of `lvsplay
// validate`'s time. Why CommonJS: Node 20 caches compiled code only for scripts
// (vm.Script cachedData), not for ES modules. The commands' lazy import()s
// become lazy module initialisers inside the one file (V8 still compiles a
// function only when it first runs). ssh2 (optional native crypto, CommonJS)
// stays an ordinary dependency.
// dist/bundle/ sits at the same depth as dist/cli/: paths the code derives from
// import.meta.url (playbooks/, containerlab/, the package root) stay right.
//
// dist/bundle/inputs.json lists every file the bundle was built from (paths
// relative to the package root). bin/lvsplay.cjs uses the bundle only when all
// of them still exist and none is newer than it: after a bare `tsc`, `tsc -w`
// rewriting one module or an `npm install`, it falls back to dist/ instead of
// running stale code.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outdir = join(root, "dist", "bundle");
rmSync(outdir, { recursive: true, force: true });
// A worktree whose node_modules predates esbuild (rebased, no `npm ci` since)
// still builds: without dist/bundle/ the launcher runs dist/cli/main.js, which
// tsc just wrote. Only slower start-up; say so once per build.
let build;
try {
  ({ build } = await import("esbuild"));
} catch {
  console.error("bundle: esbuild is not installed (run `npm ci`); the CLI runs from dist/ unbundled (slower start-up)");
  process.exit(0);
}
const bundle = join(outdir, "lvsplay.cjs");
const buildId = randomBytes(8).toString("hex");
const result = await build({
  entryPoints: [join(root, "dist", "cli", "main.js")],
  absWorkingDir: root,
  outfile: bundle,
  bundle: true,
  format: "cjs",
  platform: "node",
  target: "node20",
  external: ["ssh2", "node-ssh", "cpu-features"],
  // A CommonJS script has no import.meta: the module's own file URL instead.
  define: { "import.meta.url": "__lvsplayModuleUrl" },
  // "use strict" first: esbuild's own directive comes after the banner, where it
  // is no directive, and the code (ES modules, strict) must stay strict. The
  // build id names this build: bin/run-bundle.cjs takes a code cache only when
  // it was made for the same id (V8 checks a source by its length alone).
  banner: {
    js: `"use strict";/* lvsplay-build ${buildId} */\nconst __lvsplayModuleUrl = require("node:url").pathToFileURL(__filename).href;`,
  },
  minify: true,
  keepNames: true,
  metafile: true,
  logLevel: "warning",
});
// Inputs are relative to absWorkingDir (the package root). Dependencies count
// too: node_modules/.package-lock.json changes whenever npm installs anything.
const inputs = Object.keys(result.metafile.inputs).filter((p) => p.startsWith("dist/"));
inputs.push("node_modules/.package-lock.json");
// The code cache: optional (without it only start-up is slower), so a failed
// training run is said and the build goes on.
// It reads files only and takes ~0.2 s; the limit keeps a hung one from hanging `npm ci`.
const trained = spawnSync(process.execPath, [join(root, "scripts", "train-code-cache.mjs"), bundle], {
  cwd: root,
  encoding: "utf8",
  timeout: 120_000,
});
if (trained.status !== 0)
  console.error(
    `bundle: no code cache (slower start-up): ${(trained.error?.message ?? trained.stderr ?? "").trim().slice(0, 500)}`,
  );
// Written last: the launcher compares input mtimes against this file's.
writeFileSync(join(outdir, "inputs.json"), `${JSON.stringify(inputs)}\n`);
