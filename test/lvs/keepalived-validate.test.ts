// The two validation scripts lvs.keepalived installs its files with, run with
// the real keepalived 2.2 (`-t`) on real files: lvsplay's new file is checked
// together with the host's main file as it is (issue 12 §2: "keepalived -t
// validates the combination before install"), the host's files are never
// touched by the check, and a failure says when the host's own configuration
// fails on its own too. keepalived -t checks that interfaces exist, so every
// script runs in a throwaway namespace that has an eth1.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { VALIDATE_MAIN, VALIDATE_WITH_MAIN } from "../../src/operations/lvs/keepalived-files.js";
import { Netns } from "./helpers/netns.js";

const instance = (name: string, vrid: number, vip: string, iface = "eth1") => `vrrp_instance ${name} {
    state BACKUP
    interface ${iface}
    virtual_router_id ${vrid}
    priority 100
    advert_int 1
    virtual_ipaddress {
        ${vip}/32
    }
}
`;

const HOST_BROKEN = "without this change too";

describe("keepalived -t of the combination before install", () => {
  let ns: Netns;
  let dir = "";
  let main = "";
  let own = "";
  let fresh = "";

  beforeAll(() => {
    const which = spawnSync("keepalived", ["--version"], { encoding: "utf8" });
    if (which.error) throw new Error("keepalived is not installed: this test needs the real binary");
    ns = new Netns("lvskv");
    ns.ok(["ip", "link", "add", "eth1", "type", "veth", "peer", "name", "eth1peer"]);
  });
  afterAll(() => {
    ns?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = mkdtempSync(join(tmpdir(), "lvskv-"));
    main = join(dir, "keepalived.conf");
    own = join(dir, "lvsplay.conf");
    fresh = join(dir, ".lvsplay.new");
  });
  /** The host's main file: its own instance, then lvsplay's include line written the way a person might. */
  const hostMain = (site: string, includeLine = `include ${own}`) =>
    `! the site's own keepalived\nglobal_defs {\n   router_id site\n}\n\n${site}\n${includeLine}\n`;

  const withMain = () => ns.run(["sh", "-c", VALIDATE_WITH_MAIN, "lvsplay-validate", main, own, fresh]);
  const newMain = (candidate: string) =>
    ns.run(["sh", "-c", VALIDATE_MAIN, "lvsplay-validate", candidate, main]);
  const leftovers = () => readdirSync(dir).filter((f) => f.startsWith(".lvsplay-check"));

  it("accepts a new lvsplay file that fits the host's configuration, touching neither file", () => {
    const mainText = hostMain(instance("VI_SITE", 60, "10.99.0.200"), `  include   ${own}   # lvsplay`);
    writeFileSync(main, mainText);
    writeFileSync(own, instance("VI_LVSPLAY", 51, "10.99.0.100"));
    writeFileSync(fresh, instance("VI_LVSPLAY", 52, "10.99.0.100"));
    const r = withMain();
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(readFileSync(main, "utf8")).toBe(mainText);
    expect(readFileSync(own, "utf8")).toBe(instance("VI_LVSPLAY", 51, "10.99.0.100"));
    expect(leftovers(), "the temporary copy of the main file is removed").toEqual([]);
  });

  it("refuses a new lvsplay file that is valid alone but not next to the host's instance", () => {
    writeFileSync(main, hostMain(instance("VI_SITE", 60, "10.99.0.200")));
    writeFileSync(own, instance("VI_LVSPLAY", 51, "10.99.0.100"));
    // The same VRID as the site's instance on the same interface: fine on its own.
    writeFileSync(fresh, instance("VI_LVSPLAY", 60, "10.99.0.100"));
    const alone = ns.run(["keepalived", "-t", "-f", fresh]);
    expect(alone.status, "the new file passes keepalived -t on its own").toBe(0);
    const r = withMain();
    expect(r.status).not.toBe(0);
    expect(r.stdout).toMatch(/VRID 60/);
    expect(r.stdout).not.toContain(HOST_BROKEN);
    expect(leftovers()).toEqual([]);
  });

  it("says so when the host's own configuration fails keepalived -t without lvsplay's change", () => {
    writeFileSync(main, hostMain(instance("VI_SITE", 60, "10.99.0.200", "eth9")));
    writeFileSync(own, instance("VI_LVSPLAY", 51, "10.99.0.100"));
    writeFileSync(fresh, instance("VI_LVSPLAY", 52, "10.99.0.100"));
    const r = withMain();
    expect(r.status).not.toBe(0);
    expect(r.stdout).toContain(HOST_BROKEN);
  });

  it("checks a new main file with its include line against lvsplay's installed file", () => {
    writeFileSync(own, instance("VI_LVSPLAY", 60, "10.99.0.100"));
    const site = instance("VI_SITE", 61, "10.99.0.200");
    writeFileSync(main, hostMain(site, ""));
    const good = join(dir, ".main.good");
    writeFileSync(good, hostMain(site));
    expect(newMain(good).status, newMain(good).stdout).toBe(0);
    // The host's instance uses lvsplay's VRID: the include line would break the host.
    const clash = join(dir, ".main.clash");
    writeFileSync(clash, hostMain(instance("VI_SITE", 60, "10.99.0.200")));
    const r = newMain(clash);
    expect(r.status).not.toBe(0);
    expect(r.stdout).toMatch(/VRID 60/);
  });
});
