import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

// bin/lvsplay.js picks the esbuild bundle only while it is current. The real
// launcher runs in a scratch package whose two entry points just say which one
// ran, so the choice is observable without touching the repository's dist/.
const LAUNCHER = path.resolve("bin/lvsplay.js");

let root: string;
const at = (rel: string) => path.join(root, rel);
const write = (rel: string, text: string, mtimeSec: number) => {
  mkdirSync(path.dirname(at(rel)), { recursive: true });
  writeFileSync(at(rel), text);
  utimesSync(at(rel), mtimeSec, mtimeSec);
};
const entryThatRan = () => {
  const r = spawnSync(process.execPath, [at("bin/lvsplay.js")], { encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim();
};

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), "lvsplay-launcher-"));
  mkdirSync(at("bin"));
  copyFileSync(LAUNCHER, at("bin/lvsplay.js"));
  write("dist/cli/main.js", 'console.log("modules")', 1000);
  write("dist/ops/a.js", "", 1000);
  write("node_modules/.package-lock.json", "{}", 1000);
  write("dist/bundle/main.js", 'console.log("bundle")', 2000);
  write(
    "dist/bundle/inputs.json",
    JSON.stringify(["dist/cli/main.js", "dist/ops/a.js", "node_modules/.package-lock.json"]),
    2000,
  );
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe("bin/lvsplay.js", () => {
  it("runs the bundle when no input is newer than it", () => {
    expect(entryThatRan()).toBe("bundle");
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
