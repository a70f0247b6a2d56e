// Runs dist/bundle/lvsplay.cjs (one CommonJS script, built by scripts/bundle.mjs)
// with V8's code cache. Compiling the bundle's functions is most of a short run's
// start-up (`lvsplay validate`: ~0.2 s → ~0.13 s with the cache here), and Node 20
// has no code cache of its own for modules (module.enableCompileCache: Node 22).
// The cache (lvsplay.cjs.cache) is written by the build after a training run
// (scripts/train-code-cache.mjs); nothing is written at run time. V8 checks
// the cache against its version, its flags and the source's length, and
// compiles normally when they do not match (another Node, NODE_OPTIONS with
// V8 flags such as --max-semi-space-size): only slower, never wrong. A cache
// older than the bundle (a bundle rebuilt or edited after it) is not offered.
// CommonJS, like the launcher: an ES module entry point costs ~10 ms more.
"use strict";
const { readFileSync, statSync } = require("node:fs");
const { createRequire } = require("node:module");
const { dirname } = require("node:path");
const { constants, Script } = require("node:vm");

const WRAPPER_HEAD = "(function (exports, require, module, __filename, __dirname) { ";
const WRAPPER_TAIL = "\n});";

/** The bundle compiled, with the cache when it is current (script.cachedDataRejected says whether V8 took it). */
function compileBundle(file) {
  const source = readFileSync(file, "utf8");
  let cachedData;
  try {
    const cacheFile = `${file}.cache`;
    if (statSync(cacheFile).mtimeMs >= statSync(file).mtimeMs) cachedData = readFileSync(cacheFile);
  } catch {
    // No cache: compile as Node would.
  }
  return new Script(WRAPPER_HEAD + source + WRAPPER_TAIL, {
    filename: file,
    ...(cachedData ? { cachedData } : {}),
    // The bundle has no import() left (esbuild turns them into require), but a
    // script without this option could not run one.
    ...(constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER
      ? { importModuleDynamically: constants.USE_MAIN_CONTEXT_DEFAULT_LOADER }
      : {}),
  });
}

/** Compiles and runs the bundle as a CommonJS module; returns the compiled script. */
function runBundle(file) {
  const script = compileBundle(file);
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file));
  return script;
}

module.exports = { compileBundle, runBundle };
