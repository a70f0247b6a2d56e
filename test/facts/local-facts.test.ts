// Facts whose remote scripts were trimmed for speed, run for real on this
// machine: the trimmed script must read exactly what the old one did.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { gatherFacts } from "../../src/engine/gather.js";
import { factRequest } from "../../src/engine/types.js";
import { osFact } from "../../src/facts/os.js";
import { procSysPath, sysctlFact } from "../../src/facts/sysctl.js";
import { RecordingLocalTransport } from "../support/local-sh.js";

describe("sysctl fact", () => {
  it("maps keys to /proc/sys paths (a slash in a key stands for a dot in a name)", () => {
    expect(procSysPath("net.ipv4.conf.all.arp_ignore")).toBe("/proc/sys/net/ipv4/conf/all/arp_ignore");
    expect(procSysPath("net.ipv4.conf.eth0/100.rp_filter")).toBe(
      "/proc/sys/net/ipv4/conf/eth0.100/rp_filter",
    );
  });

  it("reads whole values (several characters, tabs) and null for missing keys, in one process", async () => {
    const keys = [
      "net.ipv4.tcp_rmem",
      "kernel.pid_max",
      "net.ipv4.conf.lo.arp_ignore",
      "net.nonexistent.key",
    ];
    const req = factRequest(sysctlFact, ...keys);
    const t = new RecordingLocalTransport();
    const values = (await gatherFacts(t, [req])).get(req);
    const read = (k: string) => readFileSync(procSysPath(k), "utf8").trim();
    expect(values).toEqual({
      "net.ipv4.tcp_rmem": read("net.ipv4.tcp_rmem"),
      "kernel.pid_max": read("kernel.pid_max"),
      "net.ipv4.conf.lo.arp_ignore": read("net.ipv4.conf.lo.arp_ignore"),
      "net.nonexistent.key": null,
    });
    expect(values["kernel.pid_max"]!.length).toBeGreaterThan(1);
  });
});

describe("os fact", () => {
  it("reads /etc/os-release without cat, last line included", async () => {
    const req = factRequest(osFact);
    const os = (await gatherFacts(new RecordingLocalTransport(), [req])).get(req);
    const release = readFileSync("/etc/os-release", "utf8");
    const id = /^ID=(.*)$/m.exec(release)?.[1]?.replace(/"/g, "");
    expect(os.id).toBe(id);
    expect(os.family).toBe("debian");
    expect(os.packageManager).toBe("apt");
  });
});

describe("packages fact", () => {
  it("reads dpkg's database directly and agrees with dpkg-query", async () => {
    const { packagesFact } = await import("../../src/facts/packages.js");
    const { spawnSync } = await import("node:child_process");
    const names = ["dash", "coreutils", "lvsplay-no-such-package"];
    const req = factRequest(packagesFact, ...names);
    const t = new RecordingLocalTransport();
    const installed = (await gatherFacts(t, [req])).get(req);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query format string
    const q = spawnSync("dpkg-query", ["-W", "-f=${Package}\\t${db:Status-Abbrev}\\n", ...names], {
      encoding: "utf8",
    });
    const byDpkg = Object.fromEntries(names.map((n) => [n, new RegExp(`^${n}\\t.i`, "m").test(q.stdout)]));
    expect(installed).toEqual(byDpkg);
    expect(installed).toEqual({ dash: true, coreutils: true, "lvsplay-no-such-package": false });
  });

  it("a held package is installed; removed-but-configured is not", async () => {
    const { parsePackages } = await import("../../src/facts/packages.js");
    expect(parsePackages("a\thi \nb\trc \nc\t?i\nd\t?-\n", ["a", "b", "c", "d"])).toEqual({
      a: true,
      b: false,
      c: true,
      d: false,
    });
  });
});
