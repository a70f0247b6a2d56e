// Fast checks of the VM tier's pure parts (no QEMU).
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { buildCpio } from "../../src/lab/vm/cpio.js";
import { GUEST_ADDRESS } from "../../src/lab/vm/init-script.js";
import { readModuleFile } from "../../src/lab/vm/initramfs.js";
import {
  EMULATED_CONNECT_TIMEOUT_SEC,
  EMULATED_TIMEOUT_SCALE,
  labHosts,
  machineInventory,
  machineKnownHosts,
} from "../../src/lab/vm/lab-inventory.js";
import { loadOrder, moduleName, parseModulesDep } from "../../src/lab/vm/modules-dep.js";
import { kernelCommandLine, type QemuLaunch, qemuArgs } from "../../src/lab/vm/qemu-args.js";

describe("cpio newc writer", () => {
  it("produces an archive busybox cpio can list and extract", () => {
    const archive = buildCpio([
      { kind: "dir", path: "bin" },
      { kind: "file", path: "bin/hello", data: Buffer.from("hi there\n"), mode: 0o755 },
      { kind: "symlink", path: "bin/sh", target: "busybox" },
      { kind: "file", path: "odd", data: Buffer.from("12345") },
    ]);
    const listing = execFileSync("busybox", ["cpio", "-t"], {
      input: archive,
      encoding: "utf8",
      stdio: ["pipe", "pipe", "ignore"],
    });
    expect(listing.trim().split("\n")).toEqual(["bin", "bin/hello", "bin/sh", "odd"]);
    const verbose = execFileSync("busybox", ["cpio", "-tv"], {
      input: archive,
      encoding: "utf8",
      stdio: ["pipe", "pipe", "ignore"],
    });
    expect(verbose).toMatch(/-rwxr-xr-x .* 9 .*bin\/hello/);
    expect(verbose).toMatch(/bin\/sh -> busybox/);
  });

  it("is deterministic", () => {
    const entries = [{ kind: "file" as const, path: "a", data: Buffer.from("x") }];
    expect(buildCpio(entries).equals(buildCpio(entries))).toBe(true);
  });
});

describe("modules.dep", () => {
  const index = parseModulesDep(
    [
      "kernel/fs/9p/9p.ko.xz: kernel/net/9p/9pnet.ko.xz kernel/fs/netfs/netfs.ko.xz",
      "kernel/net/9p/9pnet.ko.xz:",
      "kernel/fs/netfs/netfs.ko.xz:",
      "kernel/net/9p/9pnet_virtio.ko.xz: kernel/net/9p/9pnet.ko.xz kernel/drivers/virtio/virtio_ring.ko.xz",
      "kernel/drivers/virtio/virtio_ring.ko.xz:",
    ].join("\n"),
    "kernel/fs/overlayfs/overlay.ko\n",
  );

  it("orders dependencies first, each once, skipping built-ins", () => {
    expect(loadOrder(index, ["9pnet_virtio", "9p", "overlay"])).toEqual([
      "kernel/net/9p/9pnet.ko.xz",
      "kernel/drivers/virtio/virtio_ring.ko.xz",
      "kernel/net/9p/9pnet_virtio.ko.xz",
      "kernel/fs/netfs/netfs.ko.xz",
      "kernel/fs/9p/9p.ko.xz",
    ]);
  });

  it("rejects unknown modules", () => {
    expect(() => loadOrder(index, ["ip_vs"])).toThrow(/ip_vs not found/);
  });

  it("normalises names", () => {
    expect(moduleName("kernel/x/nf-nat.ko.zst")).toBe("nf_nat");
  });
});

describe("module files", () => {
  it("decompresses .ko.xz and .ko.zst for busybox insmod", () => {
    const dir = mkdtempSync(join(tmpdir(), "lvsplay-ko-"));
    try {
      const original = Buffer.from("\x7fELF pretend module\n".repeat(50));
      writeFileSync(join(dir, "m.ko"), original);
      execFileSync("xz", ["-k", join(dir, "m.ko")]);
      execFileSync("zstd", ["-q", "-k", join(dir, "m.ko")]);
      expect(readModuleFile(join(dir, "m.ko.xz")).equals(original)).toBe(true);
      expect(readModuleFile(join(dir, "m.ko.zst")).equals(original)).toBe(true);
      expect(readModuleFile(join(dir, "m.ko")).equals(original)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("QEMU command line", () => {
  const launch: QemuLaunch = {
    vmlinuz: "/c/vmlinuz",
    initrd: "/c/initrd",
    kernelVersion: "6.1.0-56-amd64",
    modulesDir: "/c/lib/modules/6.1.0-56-amd64",
    stateDir: "/s",
    consoleLog: "/s/vm/console.log",
    qmpSocket: "/s/vm/qmp.sock",
    pidFile: "/s/vm/qemu.pid",
    memoryMb: 2048,
    cpus: 2,
    tbSizeMb: 256,
    forwards: [{ hostPort: 40001, guestPort: 7001 }],
  };
  const args = qemuArgs(launch);

  it("uses TCG, shares / read-only and forwards only from 127.0.0.1 with restrict=on", () => {
    expect(args.join(" ")).toContain("-accel tcg,thread=multi,tb-size=256 -cpu max -m 2048 -smp 2");
    expect(args).toContain("local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap");
    expect(args).toContain("local,path=/s,mount_tag=statedir,security_model=none,multidevs=remap");
    const netdev = args[args.indexOf("-netdev") + 1];
    expect(netdev).toBe(`user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:40001-${GUEST_ADDRESS}:7001`);
  });

  it("passes the per-run paths on the kernel command line", () => {
    expect(kernelCommandLine(launch)).toContain("console=ttyS0");
    expect(kernelCommandLine(launch)).toContain("lvsplay_state=/s");
    expect(kernelCommandLine(launch)).toContain("lvsplay_modules=/c/lib/modules/6.1.0-56-amd64");
  });
});

describe("machine-side inventory", () => {
  const labInventory = `# lab
defaults: { user: root, identity: ./id_ed25519, known_hosts: ./known_hosts, connect_timeout: 10 }
hosts:
  ds1: { address: 7.7.7.11, groups: [directors, realservers], interface: eth1 }
  rs3: { address: 7.7.7.13, groups: [realservers] }
lvs:
  vrrp_only: true
  vrrp: { virtual_router_id: 51, order: [ds1] }
`;
  const ports = new Map([
    ["ds1", 41011],
    ["rs3", 41013],
  ]);

  it("puts every host at 127.0.0.1 on its forwarded port and turns vrrp_only off", () => {
    const text = machineInventory(labInventory, {
      hostPorts: ports,
      identityFile: "/st/id_ed25519",
      knownHostsFile: "/st/known_hosts",
    });
    const doc = parse(text);
    expect(doc.hosts.ds1).toEqual({
      address: "127.0.0.1",
      port: 41011,
      groups: ["directors", "realservers"],
      interface: "eth1",
      data_address: "7.7.7.11",
    });
    expect(doc.hosts.rs3.port).toBe(41013);
    expect(doc.defaults.identity).toBe("/st/id_ed25519");
    expect(doc.defaults.known_hosts).toBe("/st/known_hosts");
    // sshd runs on an emulated CPU: the lab's 10 s handshake limit is replaced by a generous one.
    expect(doc.defaults.connect_timeout).toBe(EMULATED_CONNECT_TIMEOUT_SEC);
    expect(EMULATED_CONNECT_TIMEOUT_SEC).toBeGreaterThanOrEqual(60);
    expect(doc.defaults.timeout_scale).toBe(EMULATED_TIMEOUT_SCALE);
    expect(EMULATED_TIMEOUT_SCALE).toBeGreaterThan(1);
    expect(doc.lvs.vrrp_only).toBe(false);
  });

  it("fails when a host has no forward", () => {
    expect(() =>
      machineInventory(labInventory, { hostPorts: new Map(), identityFile: "/k", knownHostsFile: "/h" }),
    ).toThrow(/no forwarded port for lab host ds1/);
  });

  it("rewrites known_hosts to [127.0.0.1]:PORT", () => {
    const hosts = labHosts(labInventory).map((h) => ({ ...h, hostPort: ports.get(h.name)! }));
    expect(hosts.map((h) => [h.name, h.address, h.port])).toEqual([
      ["ds1", "7.7.7.11", 22],
      ["rs3", "7.7.7.13", 22],
    ]);
    const text = machineKnownHosts("7.7.7.11 ssh-ed25519 AAAA1\n7.7.7.13 ssh-ed25519 AAAA3 comment\n", hosts);
    expect(text).toBe("[127.0.0.1]:41011 ssh-ed25519 AAAA1\n[127.0.0.1]:41013 ssh-ed25519 AAAA3\n");
    expect(() => machineKnownHosts("", hosts)).toThrow(/no key for ds1/);
  });
});
