// Builds the guest's initramfs: busybox-static, the /init script and the few
// modules needed to reach the 9p root (decompressed, because busybox insmod
// cannot read .ko.xz/.ko.zst). Cached by a hash of everything that goes in.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { buildCpio, type CpioEntry } from "./cpio.js";
import { INIT_SCRIPT } from "./init-script.js";
import type { KernelImage } from "./kernel.js";
import { loadOrder, readModuleIndex } from "./modules-dep.js";
import { vmCacheDir } from "./paths.js";

/** Modules /init loads, in this order (dependencies are added in front of each). */
export const BOOT_MODULES = ["virtio_pci", "virtio_net", "9pnet_virtio", "9p", "overlay"] as const;

export const BUSYBOX = "/bin/busybox";

export interface InitramfsOptions {
  readonly cacheDir?: string;
  readonly busyboxPath?: string;
}

/** Module file contents, decompressed. */
export function readModuleFile(path: string): Buffer {
  if (path.endsWith(".ko")) return readFileSync(path);
  if (path.endsWith(".ko.gz")) return gunzipSync(readFileSync(path));
  if (path.endsWith(".ko.xz")) return execFileSync("xz", ["-dc", path], { maxBuffer: 256 << 20 });
  if (path.endsWith(".ko.zst")) return execFileSync("zstd", ["-dcq", path], { maxBuffer: 256 << 20 });
  throw new Error(`unknown module file type: ${path}`);
}

/** The archive entries (exported for tests). */
export function initramfsEntries(kernel: KernelImage, busybox: Buffer): CpioEntry[] {
  const order = loadOrder(readModuleIndex(kernel.modulesDir), BOOT_MODULES);
  const names = order.map((p) => basename(p).replace(/\.(xz|zst|gz)$/, ""));
  const entries: CpioEntry[] = [];
  for (const dir of ["bin", "dev", "proc", "sys", "modules"]) entries.push({ kind: "dir", path: dir });
  // The kernel opens /dev/console for init before devtmpfs is mounted.
  entries.push({ kind: "chardev", path: "dev/console", major: 5, minor: 1 });
  entries.push({ kind: "file", path: "bin/busybox", data: busybox, mode: 0o755 });
  entries.push({ kind: "symlink", path: "bin/sh", target: "busybox" });
  entries.push({ kind: "file", path: "init", data: Buffer.from(INIT_SCRIPT), mode: 0o755 });
  order.forEach((rel, i) => {
    entries.push({
      kind: "file",
      path: `modules/${names[i]}`,
      data: readModuleFile(join(kernel.modulesDir, rel)),
    });
  });
  entries.push({ kind: "file", path: "modules/order", data: Buffer.from(`${names.join("\n")}\n`) });
  return entries;
}

function contentHash(entries: readonly CpioEntry[]): string {
  const hash = createHash("sha256");
  for (const e of entries) {
    hash.update(`${e.kind}\0${e.path}\0`);
    if (e.kind === "file") hash.update(e.data);
    if (e.kind === "symlink") hash.update(e.target);
  }
  return hash.digest("hex").slice(0, 16);
}

/** Path of a gzip'd newc initramfs for this kernel, built only when its inputs changed. */
export function ensureInitramfs(kernel: KernelImage, opts: InitramfsOptions = {}): string {
  const entries = initramfsEntries(kernel, readFileSync(opts.busyboxPath ?? BUSYBOX));
  const dir = join(opts.cacheDir ?? vmCacheDir(), "initramfs");
  const file = join(dir, `initramfs-${kernel.version}-${contentHash(entries)}.cpio.gz`);
  if (existsSync(file)) return file;
  mkdirSync(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, gzipSync(buildCpio(entries), { level: 6 }));
  renameSync(tmp, file);
  return file;
}
