#!/usr/bin/env node
// The published CLI as one ES module per command instead of ~300 files: tsc
// compiles src/ to dist/ (kept: tests and the lab use it), then esbuild bundles
// dist/cli/main.js with its dependencies into dist/bundle/ (one chunk per lazy
// command import). Start-up is paid on every run (cron audits, CI): resolving
// and loading hundreds of small modules was most of `lvsplay validate`'s time.
// ssh2 (optional native crypto, CommonJS) stays an ordinary dependency.
// dist/bundle/ sits at the same depth as dist/cli/: paths the code derives from
// import.meta.url (playbooks/, containerlab/, the package root) stay right.
//
// dist/bundle/inputs.json lists every file the bundle was built from (paths
// relative to the package root). bin/lvsplay.js uses the bundle only when all
// of them still exist and none is newer than it: after a bare `tsc`, `tsc -w`
// rewriting one module or an `npm install`, it falls back to dist/ instead of
// running stale code.
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
const result = await build({
  entryPoints: [join(root, "dist", "cli", "main.js")],
  absWorkingDir: root,
  outdir,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  external: ["ssh2", "node-ssh", "cpu-features"],
  // CommonJS dependencies bundled into ES modules call require() for node builtins.
  banner: { js: 'import { createRequire as __lvsplayRequire } from "node:module"; const require = __lvsplayRequire(import.meta.url);' },
  chunkNames: "chunk-[hash]",
  minify: true,
  keepNames: true,
  metafile: true,
  logLevel: "warning",
});
// Inputs are relative to absWorkingDir (the package root). Dependencies count
// too: node_modules/.package-lock.json changes whenever npm installs anything.
const inputs = Object.keys(result.metafile.inputs).filter((p) => p.startsWith("dist/"));
inputs.push("node_modules/.package-lock.json");
// Written last: the launcher compares input mtimes against this file's.
writeFileSync(join(outdir, "inputs.json"), `${JSON.stringify(inputs)}\n`);
