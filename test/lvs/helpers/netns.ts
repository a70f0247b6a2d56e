// Throwaway network namespaces for tests that run the real iptables/keepalived.
// Every namespace is deleted by name in `dispose`, also when the test failed.
import { execFileSync, spawnSync } from "node:child_process";

export interface Run {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

export class Netns {
  readonly name: string;
  private disposed = false;

  constructor(prefix: string) {
    this.name = `${prefix}${process.pid}${Math.floor(Math.random() * 1e6)}`;
    execFileSync("ip", ["netns", "add", this.name]);
  }

  /** Run argv inside the namespace; never throws on non-zero exit. */
  run(argv: readonly string[], input?: string): Run {
    const r = spawnSync("ip", ["netns", "exec", this.name, ...argv], {
      encoding: "utf8",
      ...(input !== undefined && { input }),
    });
    if (r.error) throw r.error;
    return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  }

  /** Run and throw with stderr on failure. */
  ok(argv: readonly string[], input?: string): string {
    const r = this.run(argv, input);
    if (r.status !== 0) throw new Error(`${argv.join(" ")} → ${r.status}: ${r.stderr}`);
    return r.stdout;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    execFileSync("ip", ["netns", "del", this.name]);
  }
}

/** Run `fn` with a fresh namespace that is always deleted afterwards. */
export function withNetns<T>(prefix: string, fn: (ns: Netns) => T): T {
  const ns = new Netns(prefix);
  try {
    return fn(ns);
  } finally {
    ns.dispose();
  }
}

/** iptables-save output without the timestamped comment lines. */
export const stripSaveComments = (s: string): string =>
  s
    .split("\n")
    .filter((l) => !l.startsWith("#"))
    .join("\n");
