import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
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
  write("dist/bundle/lvsplay.cjs", 'console.log("bundle")', 2000);
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

  it("runs the bundle installed as a dependency (no lock file beside it)", () => {
    rmSync(at("node_modules"), { recursive: true });
    expect(entryThatRan()).toBe("bundle");
  });
});

// What V8 says of the cache bin/run-bundle.cjs offers it, asked in a fresh
// Node (the test runner's own V8 flags could differ from a plain `node`'s).
const cacheVerdict = (bundle: string): string => {
  const r = spawnSync(
    process.execPath,
    [
      "-e",
      `const s = require(${JSON.stringify(path.resolve("bin/run-bundle.cjs"))}).compileBundle(${JSON.stringify(bundle)});` +
        "console.log(s.cachedDataRejected === undefined ? 'not offered' : s.cachedDataRejected ? 'rejected' : 'accepted')",
    ],
    { encoding: "utf8" },
  );
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim();
};
const writeCacheFor = (bundle: string) => {
  const r = spawnSync(
    process.execPath,
    [
      "-e",
      `const b = ${JSON.stringify(bundle)}; const s = require(${JSON.stringify(path.resolve("bin/run-bundle.cjs"))}).runBundle(b);` +
        "require('node:fs').writeFileSync(b + '.cache', s.createCachedData())",
    ],
    { encoding: "utf8" },
  );
  expect(r.status, r.stderr).toBe(0);
};

describe("bin/run-bundle.cjs: V8's code cache", () => {
  it("offers a cache at least as new as the bundle, which V8 accepts; the bundle runs with it", () => {
    const bundle = at("dist/bundle/lvsplay.cjs");
    writeCacheFor(bundle);
    utimesSync(`${bundle}.cache`, 2001, 2001);
    expect(cacheVerdict(bundle)).toBe("accepted");
    expect(entryThatRan()).toBe("bundle");
  });

  it("does not offer a cache older than the bundle (rebuilt or edited since)", () => {
    const bundle = at("dist/bundle/lvsplay.cjs");
    writeCacheFor(bundle);
    utimesSync(`${bundle}.cache`, 1999, 1999);
    expect(cacheVerdict(bundle)).toBe("not offered");
  });

  it("runs the bundle when V8 rejects the cache (another Node, other flags: here, garbage)", () => {
    const bundle = at("dist/bundle/lvsplay.cjs");
    write("dist/bundle/lvsplay.cjs.cache", "not a code cache", 2001);
    expect(cacheVerdict(bundle)).toBe("rejected");
    expect(entryThatRan()).toBe("bundle");
  });

  it("the build's own cache (scripts/train-code-cache.mjs) is accepted by this Node", () => {
    // npm test builds first (prepare); a missing bundle here is a broken build.
    expect(cacheVerdict(path.resolve("dist/bundle/lvsplay.cjs"))).toBe("accepted");
  });
});
