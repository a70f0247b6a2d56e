// The keepalived.config fact run for real on this machine (through the fact
// batch, as on a host) against a temporary tree of config files.
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gatherFacts } from "../../src/engine/gather.js";
import { factRequest } from "../../src/engine/types.js";
import {
  type KeepalivedConfigFact,
  keepalivedConfigFact,
  parseConfigFactOutput,
} from "../../src/facts/keepalived-config.js";
import { RecordingLocalTransport } from "../support/local-sh.js";

let root = "";
const p = (rel: string) => join(root, rel);

async function read(main: string, own: string): Promise<KeepalivedConfigFact> {
  const req = factRequest(keepalivedConfigFact, main, own);
  return (await gatherFacts(new RecordingLocalTransport(), [req])).get(req);
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "lvsplay-kaconf-"));
  for (const d of ["etc/conf.d/dir.conf", "other"]) mkdirSync(p(d), { recursive: true });
  writeFileSync(
    p("etc/keepalived.conf"),
    [
      "global_defs {",
      "  router_id host1   # comment",
      "}",
      "include conf.d/*.conf",
      `include ${p("other")}/{a,b}.conf ! a comment`,
      `include ${p("etc/lvsplay.conf")}`,
      "  includer missing/*.conf",
      `include ${p("other")}/$(touch ${p("pwned")}){x,y}`,
      "",
    ].join("\n"),
  );
  writeFileSync(p("etc/conf.d/1.conf"), "vrrp_instance A {\n}\n");
  writeFileSync(p("etc/conf.d/2.conf"), "virtual_server fwmark 3 {\n}\ninclude ../../other/c.conf");
  writeFileSync(p("etc/conf.d/3.conf"), "executable: keepalived skips it\n");
  chmodSync(p("etc/conf.d/3.conf"), 0o755);
  writeFileSync(p("other/a.conf"), "ä ü\n");
  writeFileSync(p("other/c.conf"), "include 2nd-level-loop.conf\ninclude c.conf\n");
  writeFileSync(p("etc/lvsplay.conf"), "# lvsplay\n");
  chmodSync(p("etc/lvsplay.conf"), 0o640);
  symlinkSync(p("etc/keepalived.conf"), p("link.conf"));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("keepalived.config fact", () => {
  it("reads the main file, lvsplay's file and every included file, with each pattern's matches", async () => {
    const fact = await read(p("etc/keepalived.conf"), p("etc/lvsplay.conf"));
    const byPath = new Map(fact.files.map((f) => [f.path, f]));
    expect(fact.files.map((f) => f.path)).toEqual([
      p("etc/keepalived.conf"),
      p("etc/lvsplay.conf"),
      p("etc/conf.d/1.conf"),
      p("etc/conf.d/2.conf"),
      p("other/a.conf"),
      p("other/c.conf"),
    ]);
    expect(byPath.get(p("etc/lvsplay.conf"))).toEqual({
      path: p("etc/lvsplay.conf"),
      state: "file",
      mode: "640",
      content: "# lvsplay\n",
    });
    expect(byPath.get(p("other/a.conf"))).toMatchObject({ content: "ä ü\n" });
    // The last line of 2.conf has no newline: kept as it is.
    expect(byPath.get(p("etc/conf.d/2.conf"))).toMatchObject({
      content: "virtual_server fwmark 3 {\n}\ninclude ../../other/c.conf",
    });
    expect(fact.globs).toEqual([
      {
        from: p("etc/keepalived.conf"),
        pattern: "conf.d/*.conf",
        // directories and executable files are skipped, as keepalived does
        matches: [p("etc/conf.d/1.conf"), p("etc/conf.d/2.conf")],
      },
      { from: p("etc/keepalived.conf"), pattern: `${p("other")}/{a,b}.conf`, matches: [p("other/a.conf")] },
      { from: p("etc/keepalived.conf"), pattern: p("etc/lvsplay.conf"), matches: [p("etc/lvsplay.conf")] },
      { from: p("etc/keepalived.conf"), pattern: "missing/*.conf", matches: [] },
      // Not plain path characters: never handed to a shell that would expand it.
      { from: p("etc/keepalived.conf"), pattern: `${p("other")}/$(touch ${p("pwned")}){x,y}`, matches: null },
      { from: p("etc/conf.d/2.conf"), pattern: "../../other/c.conf", matches: [p("other/c.conf")] },
      { from: p("other/c.conf"), pattern: "2nd-level-loop.conf", matches: [] },
      { from: p("other/c.conf"), pattern: "c.conf", matches: [p("other/c.conf")] },
    ]);
    expect(fact.truncated).toBe(false);
    expect(byPath.has(p("pwned"))).toBe(false);
  });

  it("reports a missing main file, and a symlinked main file without following it", async () => {
    const missing = await read(p("nope.conf"), p("etc/lvsplay.conf"));
    expect(missing.files[0]).toEqual({ path: p("nope.conf"), state: "missing" });
    const link = await read(p("link.conf"), p("etc/lvsplay.conf"));
    expect(link.files[0]).toEqual({ path: p("link.conf"), state: "symlink" });
    expect(link.globs).toEqual([]);
  });

  it("says which keepalived the host runs (what a reload can change in place depends on it)", async () => {
    const fact = await read(p("etc/keepalived.conf"), p("etc/lvsplay.conf"));
    // The test machine's keepalived (scripts/setup.sh installs it), asked directly.
    const asked = spawnSync("keepalived", ["--version"], { encoding: "utf8" });
    const version = /^Keepalived v(\d+(?:\.\d+)*)/m.exec(`${asked.stdout}${asked.stderr}`)?.[1];
    expect(version, `keepalived --version said: ${asked.stderr}`).toBeDefined();
    expect(fact.version).toBe(version);
    // No keepalived (or one that does not say): no version, and nothing else changes.
    const main = "/etc/k.conf";
    const own = "/etc/l.conf";
    const records = `F ${main}\nMISSING\nF ${own}\nMISSING\n`;
    expect(parseConfigFactOutput(records, main, own).version).toBeUndefined();
    expect(parseConfigFactOutput(`${records}V 2.0.10\n`, main, own).version).toBe("2.0.10");
  });
});
