// Fetches Debian's own kernel (which has IPVS) into a private cache, never
// installing it: apt-get download + dpkg-deb -x + depmod -b. Cached: once a
// kernel is ready, later calls only read a small JSON file.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runHost } from "./host-command.js";
import { missingModules, readModuleIndex } from "./modules-dep.js";
import { vmCacheDir } from "./paths.js";

/** Modules the IPVS lab and the VM boot need; checked after every fresh extraction. */
export const REQUIRED_MODULES = [
  "ip_vs",
  "ip_vs_rr",
  "xt_mac",
  "xt_mark",
  "virtio_pci",
  "9pnet_virtio",
  "9p",
  "overlay",
] as const;

export interface KernelImage {
  /** Debian package the kernel came from, e.g. linux-image-6.1.0-56-amd64. */
  readonly packageName: string;
  /** `uname -r` of the kernel, e.g. 6.1.0-56-amd64. */
  readonly version: string;
  /** Folder the package was extracted into. */
  readonly rootDir: string;
  readonly vmlinuz: string;
  /** lib/modules/VERSION inside rootDir, with modules.dep built by depmod. */
  readonly modulesDir: string;
}

export interface KernelOptions {
  /** Defaults to vmCacheDir(). */
  readonly cacheDir?: string;
  /** Ignore the cached choice and ask apt again (a newer kernel is extracted beside the old one). */
  readonly refresh?: boolean;
}

const MARKER = "current.json";

/** The versioned image package the `linux-image-amd64` metapackage depends on. */
export async function kernelPackageName(): Promise<string> {
  const { stdout } = await runHost(["apt-cache", "depends", "linux-image-amd64"]);
  const match = /Depends:\s*(linux-image-[0-9][^\s]*-amd64)\b/.exec(stdout);
  if (!match?.[1])
    throw new Error(`cannot find the kernel package in: apt-cache depends linux-image-amd64\n${stdout}`);
  return match[1];
}

export async function ensureKernel(opts: KernelOptions = {}): Promise<KernelImage> {
  const kernelsDir = join(opts.cacheDir ?? vmCacheDir(), "kernel");
  const marker = join(kernelsDir, MARKER);
  if (!opts.refresh && existsSync(marker)) {
    const cached = JSON.parse(readFileSync(marker, "utf8")) as KernelImage;
    if (existsSync(cached.vmlinuz) && existsSync(join(cached.modulesDir, "modules.dep"))) return cached;
  }
  const packageName = await kernelPackageName();
  const finalDir = join(kernelsDir, packageName);
  if (!existsSync(join(finalDir, ".complete"))) await extractKernel(packageName, kernelsDir, finalDir);
  const image = describeExtracted(packageName, finalDir);
  // Write-then-rename so a concurrent reader never sees half a marker.
  const tmpMarker = `${marker}.${process.pid}`;
  writeFileSync(tmpMarker, `${JSON.stringify(image, null, 2)}\n`);
  renameSync(tmpMarker, marker);
  return image;
}

async function extractKernel(packageName: string, kernelsDir: string, finalDir: string): Promise<void> {
  // Work in a private folder and rename at the end: an interrupted or concurrent
  // run never leaves a half-extracted kernel under the final name.
  const work = join(kernelsDir, `.work-${process.pid}-${Date.now()}`);
  mkdirSync(work, { recursive: true });
  try {
    // Sandbox user root: the cache folder is not readable by _apt, and the
    // download is only written here, never installed.
    await runHost(["apt-get", "download", "-q", "-o", "APT::Sandbox::User=root", packageName], { cwd: work });
    const deb = readdirSync(work).find((f) => f.endsWith(".deb"));
    if (!deb) throw new Error(`apt-get download ${packageName} produced no .deb`);
    const tree = join(work, "tree");
    await runHost(["dpkg-deb", "-x", join(work, deb), tree]);
    const version = findVersion(tree);
    await runHost(["depmod", "-b", tree, version]);
    const modulesDir = modulesDirOf(tree, version);
    const missing = missingModules(readModuleIndex(modulesDir), REQUIRED_MODULES);
    if (missing.length > 0) throw new Error(`${packageName} lacks kernel modules: ${missing.join(", ")}`);
    writeFileSync(join(tree, ".complete"), `${packageName}\n`);
    try {
      // Fails on a non-empty finalDir: never remove a tree another run (a test
      // file beside this one) has just put there and may be booting from (seen
      // in CI: "qemu: could not open kernel file").
      renameSync(tree, finalDir);
    } catch (error) {
      if (existsSync(join(finalDir, ".complete"))) return; // the same package, complete: use it
      if (!existsSync(finalDir)) throw error;
      rmSync(finalDir, { recursive: true, force: true }); // an incomplete leftover
      renameSync(tree, finalDir);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function modulesDirOf(tree: string, version: string): string {
  // Debian moved modules under /usr/lib in later releases (merged /usr).
  const candidates = [join(tree, "lib", "modules", version), join(tree, "usr", "lib", "modules", version)];
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new Error(`no modules folder for ${version} in ${tree}`);
  return found;
}

function findVersion(tree: string): string {
  const vmlinuz = readdirSync(join(tree, "boot")).find((f) => f.startsWith("vmlinuz-"));
  if (!vmlinuz) throw new Error(`no boot/vmlinuz-* in ${tree}`);
  return vmlinuz.slice("vmlinuz-".length);
}

function describeExtracted(packageName: string, rootDir: string): KernelImage {
  const version = findVersion(rootDir);
  return {
    packageName,
    version,
    rootDir,
    vmlinuz: join(rootDir, "boot", `vmlinuz-${version}`),
    modulesDir: modulesDirOf(rootDir, version),
  };
}
