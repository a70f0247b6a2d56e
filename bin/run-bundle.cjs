// Runs dist/bundle/lvsplay.cjs (one CommonJS script, built by scripts/bundle.mjs)
// with V8's code cache. Compiling the bundle's functions is most of a short run's
// start-up (`lvsplay validate`: ~0.19 s → ~0.12 s with the cache here), and Node 20
// has no code cache of its own for modules (module.enableCompileCache: Node 22).
// The cache (lvsplay.cjs.cache) is written by the build after a training run
// (scripts/train-code-cache.mjs); nothing is written at run time. Its first
// line names the build it was made for (the bundle's first line carries the
// same id): V8 itself checks a cache against its version, its flags and only
// the source's length. On any mismatch V8 compiles normally (another Node,
// NODE_OPTIONS with V8 flags such as --max-semi-space-size): only slower, never wrong.
// CommonJS, like the launcher: an ES module entry point costs ~10 ms more.
"use strict";
const { readFileSync } = require("node:fs");
const { createRequire } = require("node:module");
const { dirname } = require("node:path");
const { constants, Script } = require("node:vm");

const WRAPPER_HEAD = "(function (exports, require, module, __filename, __dirname) { ";
const WRAPPER_TAIL = "\n});";
const BUILD_ID = /^"use strict";\/\* lvsplay-build ([0-9a-f]+) \*\//;

/** The cache file's first line for the bundle `source` (undefined: the bundle names no build). */
function cacheHeader(source) {
  const id = BUILD_ID.exec(source)?.[1];
  return id === undefined ? undefined : `lvsplay-build ${id}\n`;
}

/** The V8 data of `file`'s cache when it was made for this build, else undefined. */
function cachedDataFor(file, source) {
  const header = cacheHeader(source);
  if (header === undefined) return undefined;
  let cache;
  try {
    cache = readFileSync(`${file}.cache`);
  } catch {
    return undefined; // no cache: compile as Node would
  }
  return cache.subarray(0, header.length).toString("latin1") === header ? cache.subarray(header.length) : undefined;
}

/** The bundle compiled, with its cache when it has one (script.cachedDataRejected says whether V8 took it). */
function compileBundle(file) {
  const source = readFileSync(file, "utf8");
  const cachedData = cachedDataFor(file, source);
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

/** What to write as `file`'s cache after `script` (compiled from it) has run; undefined: the bundle names no build. */
function cacheFileContent(file, script) {
  const header = cacheHeader(readFileSync(file, "utf8"));
  return header === undefined ? undefined : Buffer.concat([Buffer.from(header, "latin1"), script.createCachedData()]);
}

/** Compiles and runs the bundle as a CommonJS module; returns the compiled script. */
function runBundle(file) {
  const script = compileBundle(file);
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file));
  return script;
}

module.exports = { cacheFileContent, compileBundle, runBundle };
