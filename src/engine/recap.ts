// The per-host recap (Ansible vocabulary).
import type { HostRecap, Recap } from "./events.js";
import type { TaskStatus } from "./types.js";

export function emptyRecap(hosts: readonly string[]): Recap {
  const recap: Recap = {};
  for (const h of hosts) recap[h] = { ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: 0 };
  return recap;
}

export function tally(host: HostRecap, status: TaskStatus): void {
  host[status]++;
}
