// Reads depmod's modules.dep so the initramfs can insmod a module after its
// dependencies (busybox insmod does not resolve them itself).
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";

/** "kernel/net/9p/9pnet_virtio.ko.xz" → "9pnet_virtio"; dashes fold to underscores like the kernel does. */
export function moduleName(path: string): string {
  return basename(path)
    .replace(/\.ko(\.(xz|zst|gz))?$/, "")
    .replace(/-/g, "_");
}

export interface ModuleIndex {
  /** Module name → path relative to the modules dir. */
  readonly paths: ReadonlyMap<string, string>;
  /** Module name → direct dependencies (paths relative to the modules dir). */
  readonly deps: ReadonlyMap<string, readonly string[]>;
  /** Names compiled into the kernel (need no insmod). */
  readonly builtin: ReadonlySet<string>;
}

export function parseModulesDep(text: string, builtinText = ""): ModuleIndex {
  const paths = new Map<string, string>();
  const deps = new Map<string, readonly string[]>();
  for (const line of text.split("\n")) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const path = line.slice(0, colon).trim();
    const name = moduleName(path);
    paths.set(name, path);
    deps.set(
      name,
      line
        .slice(colon + 1)
        .trim()
        .split(/\s+/)
        .filter(Boolean),
    );
  }
  const builtin = new Set(builtinText.split("\n").filter(Boolean).map(moduleName));
  return { paths, deps, builtin };
}

export function readModuleIndex(modulesDir: string): ModuleIndex {
  let builtin = "";
  try {
    builtin = readFileSync(join(modulesDir, "modules.builtin"), "utf8");
  } catch {
    // Older kernels may lack the file; then nothing counts as built in.
  }
  return parseModulesDep(readFileSync(join(modulesDir, "modules.dep"), "utf8"), builtin);
}

/**
 * Paths to load, dependencies first, each once, for the requested modules.
 * Built-in modules are skipped; an unknown module is an error.
 */
export function loadOrder(index: ModuleIndex, names: readonly string[]): string[] {
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (name: string, chain: readonly string[]): void => {
    if (seen.has(name) || index.builtin.has(name)) return;
    const path = index.paths.get(name);
    if (!path)
      throw new Error(`kernel module ${name} not found (needed by ${chain.join(" → ") || "request"})`);
    if (chain.includes(name)) throw new Error(`module dependency cycle: ${[...chain, name].join(" → ")}`);
    for (const dep of index.deps.get(name) ?? []) visit(moduleName(dep), [...chain, name]);
    seen.add(name);
    order.push(path);
  };
  for (const name of names) visit(name.replace(/-/g, "_"), []);
  return order;
}

/** Requested modules that are neither loadable nor built in. */
export function missingModules(index: ModuleIndex, names: readonly string[]): string[] {
  return names.filter((n) => {
    const name = n.replace(/-/g, "_");
    return !index.paths.has(name) && !index.builtin.has(name);
  });
}
