// `audit --watch` parts that need no lab: the --listen syntax, the metrics
// text, reconnect backoff, and the systemd service (checked by systemd-analyze).
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseListen } from "../../src/audit/metrics-server.js";
import { type ClosableConnector, WatchConnector } from "../../src/audit/watch-connector.js";
import { renderWatchMetrics } from "../../src/audit/watch-metrics.js";
import { renderWatchUnit, WATCH_SERVICE_UNIT } from "../../src/audit/watch-unit.js";
import { type Transport, UnreachableError } from "../../src/transport/types.js";

describe("--listen", () => {
  it("takes [HOST]:PORT like an exporter", () => {
    expect(parseListen(":9808")).toEqual({ port: 9808 });
    expect(parseListen("127.0.0.1:9808")).toEqual({ host: "127.0.0.1", port: 9808 });
    expect(parseListen("[::1]:0")).toEqual({ host: "::1", port: 0 });
    expect(parseListen("localhost:80")).toEqual({ host: "localhost", port: 80 });
  });
  it("refuses anything else with the expected form", () => {
    for (const bad of ["9808", ":", ":99999", "a b:1", "http://x:1", "::1:9808"])
      expect(() => parseListen(bad), bad).toThrow(/expected \[HOST\]:PORT/);
  });
});

describe("watch metrics", () => {
  it("counters and per-host samples in the exposition format, audit families once a cycle ended", () => {
    const text = renderWatchMetrics({
      intervalSec: 5,
      cycles: 0,
      cpuSeconds: 0,
      hosts: {
        ds1: { connections: 1, reconnects: 0, bytesSent: 10, bytesReceived: 20, roundTrips: 3, failures: 0 },
      },
    });
    expect(text).toContain("# TYPE lvsplay_watch_cycles_total counter\nlvsplay_watch_cycles_total 0\n");
    expect(text).toContain('lvsplay_watch_received_bytes_total{host="ds1"} 20\n');
    expect(text).toContain("# TYPE lvsplay_watch_interval_seconds gauge\n");
    expect(text).not.toContain("lvsplay_audit_");
  });
});

/** A connector whose connections fail or succeed on command; counts attempts. */
function fakeInner() {
  let fail = true;
  let attempts = 0;
  let refs = 0;
  const transport: Transport = {
    hostName: "h",
    run: async () => ({ stdout: "", stderr: "", code: 0 }),
    close: async () => {
      refs--;
    },
  };
  const inner: ClosableConnector = {
    connect: async () => {
      attempts++;
      if (fail) throw new UnreachableError("connection refused");
      refs++;
      return transport;
    },
    closeAll: async () => {},
  };
  return {
    inner,
    setFail: (f: boolean) => {
      fail = f;
    },
    attempts: () => attempts,
    refs: () => refs,
  };
}

describe("watch connections", () => {
  it("a failing host is tried again after 1, 2, 4 … s, not every cycle; success resets; one reference held", async () => {
    let now = 0;
    const f = fakeInner();
    const c = new WatchConnector(f.inner, { backoffBaseMs: 1000, backoffMaxMs: 4000, now: () => now });
    await expect(c.connect("h")).rejects.toThrow(/connection refused/);
    await expect(c.connect("h")).rejects.toThrow(/next attempt in 1 s/);
    expect(f.attempts()).toBe(1);
    now = 1000;
    await expect(c.connect("h")).rejects.toThrow(/connection refused/);
    now = 2999;
    await expect(c.connect("h")).rejects.toThrow(/next attempt in 1 s/);
    now = 3000;
    await expect(c.connect("h")).rejects.toThrow(/connection refused/);
    now = 6999;
    await expect(c.connect("h")).rejects.toThrow(/next attempt/);
    now = 7000;
    await expect(c.connect("h")).rejects.toThrow(/connection refused/);
    now = 11_000; // capped at 4 s
    f.setFail(false);
    const t = await c.connect("h");
    expect(c.health("h")).toEqual({ reconnects: 1, failures: 0 });
    await t.close(); // a run's close leaves the connection open
    await c.connect("h");
    await c.connect("h");
    expect(f.refs()).toBe(1);
    expect(c.health("h")).toEqual({ reconnects: 1, failures: 0 });
  });
});

describe("the watch's systemd service", () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const unitIn = (dir: string, listen = ":9808") => {
    const bin = path.join(dir, "lvsplay");
    writeFileSync(bin, "#!/bin/sh\nexit 0\n");
    chmodSync(bin, 0o755);
    return renderWatchUnit({
      lvsplayBin: bin,
      inventory: path.join(dir, "inv %$.yml"),
      interval: "5s",
      listen,
      promFile: "/var/lib/node_exporter/textfile/lvsplay.prom",
      workingDirectory: dir,
      user: "root",
    });
  };
  const verify = (dir: string, unit: string) => {
    writeFileSync(path.join(dir, WATCH_SERVICE_UNIT), unit);
    const run = spawnSync("systemd-analyze", ["verify", "--man=no", path.join(dir, WATCH_SERVICE_UNIT)], {
      encoding: "utf8",
      env: { ...process.env, SYSTEMD_LOG_LEVEL: "info", SYSTEMD_LOG_COLOR: "0" },
    });
    if ((run.error as NodeJS.ErrnoException | undefined)?.code === "ENOENT")
      throw new Error("systemd-analyze not found: run scripts/setup.sh (it installs systemd)");
    const problems = `${run.stdout}${run.stderr}`
      .split("\n")
      .filter((l) => l.includes("lvsplay-audit") || l.includes(dir));
    return { status: run.status, problems };
  };

  it("a long-running service: audit --watch with interval and listen, restarted on failure", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "lvsplay watch %$-"));
    dirs.push(dir);
    const unit = unitIn(dir);
    const lines = unit.split("\n");
    expect(lines).toContain("Type=simple");
    expect(lines).toContain("Restart=on-failure");
    expect(lines).toContain("Environment=NODE_OPTIONS=--max-semi-space-size=4");
    expect(lines.find((l) => l.startsWith("ExecStart="))).toMatch(
      /"audit" ".*inv %%\$\$\.yml" "--watch" "--interval" "5s" "--listen" ":9808"/,
    );
    expect(lines).toContain("WantedBy=multi-user.target");
    expect(verify(dir, unit)).toEqual({ status: 0, problems: [] });
  });

  it("the check fails on a broken unit (so the test above can fail)", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "lvsplay watch %$-"));
    dirs.push(dir);
    const broken = unitIn(dir).replace("Restart=on-failure", "Restart=banana");
    expect(verify(dir, broken).problems.join("\n")).toMatch(/banana/);
  });

  it("refuses a --listen value that would need quoting", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "lvsplay-watch-"));
    dirs.push(dir);
    expect(() => unitIn(dir, ":9808 x")).toThrow(/unexpected characters/);
  });
});
