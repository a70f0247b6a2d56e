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
