import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Secret } from "../../src/config/secret.js";
import type { Inventory } from "../../src/inventory/model.js";
import { resolveRealServers } from "../../src/lvs/directors.js";
import { buildKeepalivedConfig } from "../../src/lvs/keepalived/model.js";
import { type GlobalDefsOptions, renderKeepalivedConf } from "../../src/lvs/keepalived/render.js";
import { allocateMarks } from "../../src/lvs/marks/allocate.js";
import { expectGolden, GOLDEN_DIR, goldenPath } from "./helpers/golden.js";
import { allFacts, inventory, webService } from "./helpers/inventory.js";
import { Netns } from "./helpers/netns.js";

function render(inv: Inventory, director: string, opts?: GlobalDefsOptions): string {
  const n = inv.groups.directors!.length;
  const facts = allFacts(n);
  const { marks, errors } = allocateMarks(inv, {});
  expect(errors).toEqual([]);
  const cfg = buildKeepalivedConfig(inv, director, facts, marks[director]!, resolveRealServers(inv, facts));
  return renderKeepalivedConf(cfg, opts);
}

/** Failover hooks: notify for every director, ds1 with its own master script and a tracked interface. */
const withHooks = (): Inventory => {
  const base = inventory();
  const vrrp = base.lvs!.vrrp;
  return {
    ...base,
    lvs: {
      ...base.lvs!,
      vrrp: {
        ...vrrp,
        hooks: {
          notify: { all: "/usr/bin/logger -t lvsplay-vrrp", backup: "/usr/bin/logger -t lvsplay-backup" },
          trackInterfaces: [],
          trackScripts: [
            { name: "web_up", command: "/usr/bin/true", intervalSec: 2, timeoutSec: 2, weight: -60, fall: 2 },
          ],
        },
        hooksByDirector: {
          ds1: {
            notify: { master: "/usr/bin/logger -t lvsplay-master ds1" },
            trackInterfaces: [{ name: "eth1peer", weight: -30 }],
          },
        },
      },
    },
  };
};

const threeDirectors = (): Inventory =>
  inventory({
    directors: 3,
    services: [
      webService({
        healthCheck: {
          kind: "http",
          path: "/healthz",
          statusCode: 200,
          connectTimeoutSec: 2,
          delayLoopSec: 5,
          retry: 2,
        },
      }),
      webService({
        name: "shop",
        vip: "7.7.7.101",
        ports: [80, 443],
        checkPort: 443,
        scheduler: "wlc",
        persistenceTimeoutSec: 300,
        weights: { rs4: 3 },
      }),
    ],
    lvs: {
      vrrp: {
        virtualRouterId: 52,
        order: ["ds1", "ds2", "ds3"],
        priorities: { ds1: 150, ds2: 100, ds3: 50 },
        advertIntSec: 1,
        auth: { type: "PASS", password: new Secret("s3cret", "the test") },
        unicast: true,
        nopreempt: false,
        hooks: { notify: {}, trackInterfaces: [], trackScripts: [] },
        hooksByDirector: {},
      },
    },
  });

describe("keepalived.conf rendering (goldens)", () => {
  it("seed topology, ds1 (MASTER, fwmark 1)", () =>
    expectGolden("keepalived-seed-ds1.conf", render(inventory(), "ds1")));
  it("seed topology, ds2 (BACKUP, fwmark 2)", () =>
    expectGolden("keepalived-seed-ds2.conf", render(inventory(), "ds2")));
  it("three directors, two services, unicast + auth", () =>
    expectGolden("keepalived-3dir-ds2.conf", render(threeDirectors(), "ds2")));
  it("vrrpOnly lab concession", () =>
    expectGolden("keepalived-vrrp-only-ds1.conf", render(inventory({ lvs: { vrrpOnly: true } }), "ds1")));
  it("failover hooks (ds1's own over the common ones), no router_id (the host sets one), script security", () =>
    expectGolden(
      "keepalived-hooks-ds1.conf",
      render(withHooks(), "ds1", { routerId: false, scriptSecurity: true }),
    ));
  it("connection_sync, ds2 (BACKUP): lvs_sync_daemon on its data interface, the shared fwmark 1", () =>
    expectGolden("keepalived-sync-ds2.conf", render(inventory({ lvs: { connectionSync: true } }), "ds2")));
});

describe("keepalived.conf rendering (properties)", () => {
  it("never puts a port on a real_server line and never nests blocks on one line", () => {
    const text = render(threeDirectors(), "ds1");
    for (const line of text.split("\n")) {
      expect(line).not.toMatch(/real_server \S+ \d+/);
      expect(line.split("{").length).toBeLessThanOrEqual(2);
      expect(line).toMatch(/^( {4})*\S|^$/); // 4-space indents only
    }
    expect(text).not.toMatch(/\d{4}-\d{2}-\d{2}/); // no timestamps
  });

  it("starts every director as BACKUP with nopreempt", () => {
    const base = inventory();
    const inv = { ...base, lvs: { ...base.lvs!, vrrp: { ...base.lvs!.vrrp, nopreempt: true } } };
    for (const d of ["ds1", "ds2"]) {
      const text = render(inv, d);
      expect(text).toContain("    state BACKUP\n");
      expect(text).toContain("    nopreempt\n");
      // A lowered priority would not move the VIP (peers do not preempt): the drain stops keepalived instead.
      expect(text).not.toContain("lvsplay_drain");
    }
    expect(render(base, "ds1")).toContain("    track_file {\n        lvsplay_drain weight -253\n    }\n");
  });

  it("renders one virtual_server per service, also in vrrpOnly mode (then marked as the lab concession)", () => {
    const vrrpOnly = render(inventory({ lvs: { vrrpOnly: true } }), "ds1");
    expect(vrrpOnly.match(/^virtual_server fwmark \d+ \{$/gm)).toEqual(["virtual_server fwmark 1 {"]);
    expect(vrrpOnly).toMatch(/^# VRRP ONLY \(lab concession.*runs with -P/m);
    expect(render(inventory(), "ds1")).not.toMatch(/VRRP ONLY/);
    expect(render(threeDirectors(), "ds3").match(/^virtual_server fwmark \d+ \{$/gm)).toEqual([
      "virtual_server fwmark 3 {",
      "virtual_server fwmark 6 {",
    ]);
  });

  it("checks a UDP service's own port over UDP, and a separate TCP health port over TCP", () => {
    const withUdp = (port?: number) => {
      const inv = inventory();
      const svc = inv.lvs!.services[0]!;
      const udp = { ...svc, protocol: "udp" as const, ports: [53], checkPort: port ?? 53 };
      return render({ ...inv, lvs: { ...inv.lvs!, services: [udp] } }, "ds1");
    };
    expect(withUdp()).toMatch(/^ {8}UDP_CHECK \{$/m);
    expect(withUdp()).not.toMatch(/TCP_CHECK/);
    expect(withUdp(8053)).toMatch(/^ {8}TCP_CHECK \{$/m);
  });

  it("refuses (throws) any value outside its character set instead of rendering it", () => {
    const base = inventory();
    const withAuth = (password: string): Inventory => ({
      ...base,
      lvs: {
        ...base.lvs!,
        vrrp: { ...base.lvs!.vrrp, auth: { type: "PASS", password: new Secret(password, "the test") } },
      },
    });
    expect(render(withAuth("s3cret"), "ds1")).toMatch(/auth_pass s3cret$/m);
    for (const password of ["$_RANDOM", "a}b", "a b", "a\u0000b", "x\\y", "a#b"])
      expect(() => render(withAuth(password), "ds1"), password).toThrow(
        /keepalived.conf: auth_pass: expected a VRRP password/,
      );
    const facts = allFacts(2).map((f) => (f.name === "ds1" ? { ...f, interface: "eth}" } : f));
    const cfg = buildKeepalivedConfig(base, "ds1", facts, { web: 1 }, resolveRealServers(base, facts));
    expect(() => renderKeepalivedConf(cfg)).toThrow(
      /keepalived.conf: interface "eth}": .*"}" is not allowed/,
    );
    const good = buildKeepalivedConfig(
      base,
      "ds1",
      allFacts(2),
      { web: 1 },
      resolveRealServers(base, allFacts(2)),
    );
    const named = { ...good, routerId: "ds1\nvrrp_script x {" };
    expect(() => renderKeepalivedConf(named)).toThrow(/router_id/);
    const pathCfg = {
      ...good,
      virtualServers: good.virtualServers.map((vs) => ({
        ...vs,
        realServers: vs.realServers.map((rs) => ({
          ...rs,
          check: {
            kind: "http" as const,
            path: "/$_PWD",
            statusCode: 200,
            connectTimeoutSec: 3,
            delayLoopSec: 5,
            retry: 2,
          },
        })),
      })),
    };
    expect(() => renderKeepalivedConf(pathCfg)).toThrow(/url path "\/\$_PWD"/);
  });

  it("runs the sync daemon only with connection_sync, with the VRRP instance and its router id as sync id", () => {
    expect(render(inventory(), "ds1")).not.toMatch(/lvs_sync_daemon/);
    const synced = render(inventory({ lvs: { connectionSync: true } }), "ds1");
    expect(synced).toMatch(
      /^global_defs \{\n {4}router_id ds1\n {4}lvs_sync_daemon eth1 VI_LVSPLAY id 51\n\}$/m,
    );
    expect(synced).toContain("virtual_server fwmark 1 {");
    // The preferred director starts as BACKUP too and waits before it takes the VIP back:
    // it must have been a sync backup (learnt the interim MASTER's connections) first.
    expect(render(inventory(), "ds1")).toMatch(/^ {4}state MASTER$/m);
    expect(synced).toMatch(/^ {4}state BACKUP\n(?:.*\n)*? {4}preempt_delay 5$/m);
    expect(render(inventory(), "ds1")).not.toMatch(/preempt_delay/);
    // connection_sync_maxlen: keepalived's maxlen on the same line.
    expect(render(inventory({ lvs: { connectionSync: true, connectionSyncMaxlen: 64 } }), "ds1")).toMatch(
      /^ {4}lvs_sync_daemon eth1 VI_LVSPLAY id 51 maxlen 64$/m,
    );
  });

  it("fails loudly on missing facts or priorities", () => {
    const inv = inventory();
    expect(() => buildKeepalivedConfig(inv, "ds9", allFacts(2), {}, [])).toThrow(/no facts for director ds9/);
    expect(() => buildKeepalivedConfig(inv, "ds1", allFacts(2), {}, [])).toThrow(/no fwmark for service web/);
  });
});

// Every golden must pass keepalived 2.2.7's own config test. It checks that the
// interfaces exist, so it runs in a throwaway namespace that has an eth1.
describe("keepalived -t accepts every golden", () => {
  let ns: Netns;
  let pidDir: string;
  const check = (file: string): { status: number; stderr: string } => {
    const r = ns.run([
      "keepalived",
      "-t",
      "-f",
      file,
      "-p",
      join(pidDir, "k.pid"),
      "-r",
      join(pidDir, "v.pid"),
      "-c",
      join(pidDir, "c.pid"),
    ]);
    return { status: r.status, stderr: r.stderr };
  };

  beforeAll(() => {
    const which = spawnSync("keepalived", ["--version"], { encoding: "utf8" });
    if (which.error) throw new Error("keepalived is not installed: this test needs the real binary");
    ns = new Netns("lvskt");
    ns.ok(["ip", "link", "add", "eth1", "type", "veth", "peer", "name", "eth1peer"]);
    pidDir = mkdtempSync(join(tmpdir(), "lvskt-"));
  });
  afterAll(() => {
    ns?.dispose();
    if (pidDir) rmSync(pidDir, { recursive: true, force: true });
  });

  // The goldens written by the rendering tests above (same file, which runs first).
  const goldens = [
    "keepalived-seed-ds1.conf",
    "keepalived-seed-ds2.conf",
    "keepalived-3dir-ds2.conf",
    "keepalived-vrrp-only-ds1.conf",
    "keepalived-hooks-ds1.conf",
    "keepalived-sync-ds2.conf",
  ];
  it("covers every keepalived golden on disk", () => {
    expect(
      readdirSync(GOLDEN_DIR)
        .filter((f) => f.startsWith("keepalived-"))
        .sort(),
    ).toEqual([...goldens].sort());
  });

  it.each(goldens)("%s", (name) => {
    const r = check(goldenPath(name));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/WARNING|Unknown keyword|error/i);
  });

  it("and rejects a broken file (so the check is not a no-op)", () => {
    const dir = mkdtempSync(join(tmpdir(), "lvskt-bad-"));
    try {
      const bad = join(dir, "bad.conf");
      const text = render(inventory(), "ds1").replace("interface eth1", "interface eth9");
      writeFileSync(bad, text);
      expect(check(bad).status).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
