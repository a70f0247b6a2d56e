// Where the VM tier keeps its downloads and build products. The cache lives under
// the repo (or LVSPLAY_CACHE_DIR) because the guest reads it through the shared root.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The checkout that holds this file (works from src/ under vitest and from dist/). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && readFileSync(manifest, "utf8").includes('"name": "lvsplay"')) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error("lvsplay: cannot find the repository root (package.json)");
    dir = parent;
  }
}

/** Root of the VM cache: LVSPLAY_CACHE_DIR, else <repo>/.cache/vm. */
export function vmCacheDir(): string {
  const fromEnv = process.env["LVSPLAY_CACHE_DIR"];
  return fromEnv ? resolve(fromEnv) : join(repoRoot(), ".cache", "vm");
}

/**
 * Paths reach the guest through the kernel command line and busybox init scripts,
 * so they must survive both without quoting.
 */
export function assertGuestSafePath(path: string, what: string): void {
  if (!/^\/[A-Za-z0-9._/-]*$/.test(path)) {
    throw new Error(`lvsplay vm: ${what} path must be absolute and use only [A-Za-z0-9._/-]: ${path}`);
  }
}
