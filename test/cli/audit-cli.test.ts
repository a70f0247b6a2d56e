// `lvsplay audit` on the command line, without any host: bad flags are refused
// before anything is contacted (exit 1), and --print-systemd-units prints units
// systemd accepts, with the absolute paths a timer needs.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "..", "..");
const BIN = path.join(ROOT, "bin", "lvsplay.js");
// The example inventory's hosts do not exist here: any attempt to contact them would hang or fail.
const INVENTORY = path.join(ROOT, "inventory", "example.yaml");
const dir = mkdtempSync(path.join(tmpdir(), "lvsplay-audit-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const lvsplay = (...args: string[]) =>
  // A backstop, not a measure: each run is refused before contacting a host, but a busy machine
  // (load 35 here) took more than 20 s to start the CLI.
  spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: "utf8", timeout: 120_000 });

describe("audit flags", () => {
  it("a prom file in a missing directory or without .prom is refused before any host is contacted", () => {
    for (const [file, why] of [
      ["/nonexistent/lvsplay.prom", /directory \/nonexistent does not exist/],
      [path.join(dir, "lvsplay.txt"), /only reads \*\.prom files/],
    ] as const) {
      const r = lvsplay("audit", INVENTORY, "--prom-file", file);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(why);
      expect(r.stderr).toMatch(/nothing was changed/);
      expect(r.stdout).toBe("");
    }
  });

  it("an invalid inventory exits 1 naming file:line:col, for the units too", () => {
    const bad = path.join(dir, "bad.yaml");
    writeFileSync(bad, "hosts:\n  ds1: { adress: 7.7.7.11 }\n");
    const r = lvsplay("audit", bad, "--print-systemd-units");
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/bad\.yaml:2:\d+: /);
  });
});

describe("audit --print-systemd-units", () => {
  it("keeps --limit and a non-default --forks in the command; refuses --accept-new-host-keys and a bad prom file", () => {
    const units = lvsplay(
      "audit",
      INVENTORY,
      "--print-systemd-units",
      "--limit",
      "directors",
      "--forks",
      "7",
    );
    expect(units.status).toBe(0);
    expect(units.stdout).toContain(`"audit" "${INVENTORY}" "--plain" "--limit" "directors" "--forks" "7"`);
    const tofu = lvsplay("audit", INVENTORY, "--print-systemd-units", "--accept-new-host-keys");
    expect([tofu.status, tofu.stdout]).toEqual([1, ""]);
    expect(tofu.stderr).toMatch(/not for scheduled audits/);
    const prom = lvsplay("audit", INVENTORY, "--print-systemd-units", "--prom-file", "/tmp/lvsplay.txt");
    expect([prom.status, prom.stdout]).toEqual([1, ""]);
    expect(prom.stderr).toMatch(/only reads \*\.prom files/);
  });

  it("prints a service and timer with absolute paths that systemd-analyze accepts, and a cron line", () => {
    const prom = path.join("/var/lib/node_exporter", "lvsplay.prom");
    const r = lvsplay(
      "audit",
      `../../${path.relative("/", INVENTORY)}`,
      "--print-systemd-units",
      "--prom-file",
      prom,
      "--interval",
      "30min",
    );
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const sections = r.stdout.split(/^### .*$/m).map((s) => s.trim());
    const [service, timer] = [sections[1]!, sections[2]!];
    expect(service).toContain(`ExecStart="${BIN}" "audit" "${INVENTORY}" "--plain" "--prom-file" "${prom}"`);
    expect(timer).toMatch(/^OnUnitActiveSec=30min$/m);
    expect(r.stdout).toContain(
      `*/30 * * * * root ${BIN} audit ${INVENTORY} --plain --prom-file ${prom} >/dev/null 2>&1`,
    );

    const unitDir = path.join(dir, "units");
    rmSync(unitDir, { recursive: true, force: true });
    mkdirSync(unitDir);
    writeFileSync(path.join(unitDir, "lvsplay-audit.service"), `${service}\n`);
    writeFileSync(path.join(unitDir, "lvsplay-audit.timer"), `${timer}\n`);
    const verify = spawnSync(
      "systemd-analyze",
      [
        "verify",
        "--man=no",
        path.join(unitDir, "lvsplay-audit.service"),
        path.join(unitDir, "lvsplay-audit.timer"),
      ],
      {
        encoding: "utf8",
        env: { ...process.env, SYSTEMD_LOG_COLOR: "0" },
      },
    );
    if ((verify.error as NodeJS.ErrnoException | undefined)?.code === "ENOENT")
      throw new Error("systemd-analyze not found: run scripts/setup.sh (it installs systemd)");
    const problems = `${verify.stdout}${verify.stderr}`
      .split("\n")
      .filter((l) => l.includes("lvsplay-audit"));
    expect({ status: verify.status, problems }).toEqual({ status: 0, problems: [] });
  });
});
