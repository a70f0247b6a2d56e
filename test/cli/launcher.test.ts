import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

// bin/lvsplay.cjs picks the esbuild bundle only while it is current. The real
// launcher runs in a scratch package whose two entry points just say which one
// ran, so the choice is observable without touching the repository's dist/.
const BIN = ["lvsplay.cjs", "lvsplay.js", "run-bundle.cjs"];

let root: string;
const at = (rel: string) => path.join(root, rel);
const write = (rel: string, text: string, mtimeSec: number) => {
  mkdirSync(path.dirname(at(rel)), { recursive: true });
  writeFileSync(at(rel), text);
  utimesSync(at(rel), mtimeSec, mtimeSec);
};
/** A stand-in bundle of build `id` (first line as scripts/bundle.mjs writes it) that says it ran. */
const bundleSource = (id: string) => `"use strict";/* lvsplay-build ${id} */\nconsole.log("bundle")`;
const entryThatRan = (launcher = "bin/lvsplay.cjs") => {
  const r = spawnSync(process.execPath, [at(launcher)], { encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim();
};

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), "lvsplay-launcher-"));
  mkdirSync(at("bin"));
  for (const file of BIN) copyFileSync(path.resolve("bin", file), at(`bin/${file}`));
  write("package.json", '{ "type": "module" }', 1000);
  write("dist/cli/main.js", 'console.log("modules")', 1000);
  write("dist/ops/a.js", "", 1000);
  write("node_modules/.package-lock.json", "{}", 1000);
  write("dist/bundle/lvsplay.cjs", bundleSource("00aa11bb"), 2000);
  write(
    "dist/bundle/inputs.json",
    JSON.stringify(["dist/cli/main.js", "dist/ops/a.js", "node_modules/.package-lock.json"]),
    2000,
  );
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe("bin/lvsplay.js", () => {
  it("runs the bundle when no input is newer than it, from either launcher file", () => {
    expect(entryThatRan()).toBe("bundle");
    expect(entryThatRan("bin/lvsplay.js")).toBe("bundle");
  });

  it("runs the compiled modules when any one input was rewritten after the bundle (tsc -w)", () => {
    utimesSync(at("dist/ops/a.js"), 3000, 3000);
    expect(entryThatRan()).toBe("modules");
  });

  it("runs the compiled modules after an npm install newer than the bundle", () => {
    utimesSync(at("node_modules/.package-lock.json"), 3000, 3000);
    expect(entryThatRan()).toBe("modules");
  });

  it("runs the compiled modules when an input is gone or the bundle's input list is missing", () => {
    rmSync(at("dist/ops/a.js"));
    expect(entryThatRan()).toBe("modules");
    write("dist/ops/a.js", "", 1000);
    expect(entryThatRan()).toBe("bundle");
    rmSync(at("dist/bundle/inputs.json"));
    expect(entryThatRan()).toBe("modules");
  });

  it("runs the compiled modules when the bundle file itself is gone", () => {
    rmSync(at("dist/bundle/lvsplay.cjs"));
    expect(entryThatRan()).toBe("modules");
  });

  it("runs the bundle installed as a dependency (no lock file beside it)", () => {
    rmSync(at("node_modules"), { recursive: true });
    expect(entryThatRan()).toBe("bundle");
  });
});

// What V8 says of the cache bin/run-bundle.cjs offers it, asked in a fresh
// Node (the test runner's own V8 flags could differ from a plain `node`'s).
const RUN_BUNDLE = JSON.stringify(path.resolve("bin/run-bundle.cjs"));
const node = (code: string) => {
  const r = spawnSync(process.execPath, ["-e", code], { encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim();
};
const cacheVerdict = (bundle: string): string =>
  node(
    `const s = require(${RUN_BUNDLE}).compileBundle(${JSON.stringify(bundle)});` +
      "console.log(s.cachedDataRejected === undefined ? 'not offered' : s.cachedDataRejected ? 'rejected' : 'accepted')",
  );
/** The cache as the build's training writes it: run the bundle, then take V8's data under the build's header. */
const writeCacheFor = (bundle: string) =>
  node(
    `const b = ${JSON.stringify(bundle)}; const r = require(${RUN_BUNDLE}); const s = r.runBundle(b);` +
      "require('node:fs').writeFileSync(b + '.cache', r.cacheFileContent(b, s))",
  );

describe("bin/run-bundle.cjs: V8's code cache", () => {
  it("offers the cache made for this build, which V8 accepts; the bundle runs with it", () => {
    const bundle = at("dist/bundle/lvsplay.cjs");
    writeCacheFor(bundle);
    expect(readFileSync(`${bundle}.cache`, "latin1").split("\n", 1)[0]).toBe("lvsplay-build 00aa11bb");
    expect(cacheVerdict(bundle)).toBe("accepted");
    expect(entryThatRan()).toBe("bundle");
  });

  it("does not offer a cache made for another build, even of the same length (V8 would take it)", () => {
    const bundle = at("dist/bundle/lvsplay.cjs");
    writeCacheFor(bundle);
    writeFileSync(bundle, bundleSource("ffee1122"));
    expect(cacheVerdict(bundle)).toBe("not offered");
    expect(entryThatRan()).toBe("bundle");
  });

  it("runs the bundle when V8 rejects the cache (another Node, other flags: here, garbage under the right header)", () => {
    const bundle = at("dist/bundle/lvsplay.cjs");
    write("dist/bundle/lvsplay.cjs.cache", "lvsplay-build 00aa11bb\nnot a code cache", 2001);
    expect(cacheVerdict(bundle)).toBe("rejected");
    expect(entryThatRan()).toBe("bundle");
  });

  it("the build's own bundle is strict code with a build id, and its cache (scripts/train-code-cache.mjs) is accepted by this Node", () => {
    // npm test builds first (prepare); a missing bundle here is a broken build.
    const bundle = path.resolve("dist/bundle/lvsplay.cjs");
    // The directive must come first, or the ES modules inside run in sloppy mode.
    expect(readFileSync(bundle, "utf8")).toMatch(/^"use strict";\/\* lvsplay-build [0-9a-f]{16} \*\/\n/);
    expect(cacheVerdict(bundle)).toBe("accepted");
  });
});
