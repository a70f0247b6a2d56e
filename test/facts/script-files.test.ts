// The script.files fact on real files of this machine, judged like keepalived's
// enable_script_security (keepalived/core/notify.c check_security).
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { gatherFacts } from "../../src/engine/gather.js";
import { factRequest } from "../../src/engine/types.js";
import { type ScriptFilesFact, scriptFilesFact, scriptInsecurity } from "../../src/facts/script-files.js";
import { RecordingLocalTransport } from "../support/local-sh.js";

// Under /var/tmp's own folder: /tmp may be a mount whose owner is not root in some sandboxes.
const root = mkdtempSync("/var/tmp/lvsplay-scripts-");
afterAll(() => rmSync(root, { recursive: true, force: true }));

function script(rel: string, mode: number): string {
  const path = join(root, rel);
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, "#!/bin/sh\nexit 0\n");
  chmodSync(path, mode);
  return path;
}

async function read(...paths: string[]): Promise<ScriptFilesFact> {
  const req = factRequest(scriptFilesFact, ...paths);
  return (await gatherFacts(new RecordingLocalTransport(), [req])).get(req);
}

describe("script.files fact", () => {
  it("reads every component from / down, follows a symlinked file, and passes a root-owned 0755 script", async () => {
    chmodSync(root, 0o755);
    const ok = script("ok/notify", 0o755);
    symlinkSync(ok, join(root, "link"));
    const fact = await read(ok, join(root, "link"));
    const f = fact[ok]!;
    expect(f.realPath).toBe(ok);
    expect(f.components[0]).toMatchObject({ path: "/", uid: 0, type: "directory" });
    expect(f.components.at(-1)).toMatchObject({ path: ok, uid: 0, type: "file", mode: 0o755 });
    expect(f.executable).toBe(true);
    expect(scriptInsecurity(f)).toBeUndefined();
    expect(fact[join(root, "link")]?.realPath).toBe(ok);
  });

  it("names what keepalived would refuse: missing, not executable, writable by others, a folder writable by a group, not root's", async () => {
    const noexec = script("plain/notify", 0o644);
    const loose = script("loose/notify", 0o757);
    const groupDir = script("group/sub/notify", 0o755);
    chownSync(join(root, "group"), 0, 50);
    chmodSync(join(root, "group"), 0o775);
    const theirs = script("theirs/notify", 0o755);
    chownSync(theirs, 1000, 0);
    const missing = join(root, "nope");
    const fact = await read(noexec, loose, groupDir, theirs, missing);
    expect(scriptInsecurity(fact[missing]!)).toBe("does not exist");
    expect(scriptInsecurity(fact[noexec]!)).toBe("is not executable");
    expect(scriptInsecurity(fact[loose]!)).toBe(`${loose} is writable by everyone`);
    expect(scriptInsecurity(fact[groupDir]!)).toBe(`${join(root, "group")} is writable by group 50`);
    expect(scriptInsecurity(fact[theirs]!)).toBe(`${theirs} belongs to uid 1000, not root`);
  });

  it("accepts a sticky world-writable folder above the script, as keepalived does", async () => {
    const sticky = join(root, "sticky");
    mkdirSync(sticky);
    chmodSync(sticky, 0o1777);
    const inside = script("sticky/own/notify", 0o755);
    expect(scriptInsecurity((await read(inside))[inside]!)).toBeUndefined();
  });
});
