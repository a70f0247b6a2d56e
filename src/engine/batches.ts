// Rolling apply: the run's hosts in batches (Ansible's `serial`). Every batch
// runs the whole playbook (applied and verified) before the next one starts.
// `auto` starts as one batch; a host the run's hooks postpone (lvsplay: a
// director holding a VIP, about to get a change that needs it drained) leaves
// it before that change and runs alone afterwards, one such host at a time —
// so a no-op or a change that touches no VIP holder costs what one batch costs.
import { UsageError } from "../errors.js";
import type { Host } from "../inventory/model.js";

export type SerialSpec =
  /** --serial N: N hosts per batch. */
  | { readonly kind: "count"; readonly count: number }
  /** --serial P%: P percent of the run's hosts per batch (rounded down, at least 1). */
  | { readonly kind: "percent"; readonly percent: number }
  /** One batch; hosts postponed by the run's hooks then run alone, one at a time (the default for apply). */
  | { readonly kind: "auto" };

/** Every host in one batch, nothing postponed (`--serial all`). */
export const ALL_AT_ONCE: SerialSpec = { kind: "percent", percent: 100 };

/** Parses --serial: "2", "25%", "auto", "all". */
export function parseSerial(value: string): SerialSpec {
  if (value.trim() === "auto") return { kind: "auto" };
  if (value.trim() === "all") return ALL_AT_ONCE;
  const percent = /^(\d+(?:\.\d+)?)%$/.exec(value.trim());
  if (percent) {
    const p = Number(percent[1]);
    if (p <= 0 || p > 100)
      throw new UsageError(`--serial ${value}: expected a percentage above 0 and at most 100%`);
    return { kind: "percent", percent: p };
  }
  const n = Number(value.trim());
  if (!/^\d+$/.test(value.trim()) || !Number.isInteger(n) || n < 1)
    throw new UsageError(
      `--serial ${JSON.stringify(value)}: expected a number of hosts (>= 1), a percentage like 25%, auto or all`,
    );
  return { kind: "count", count: n };
}

const chunks = <T>(items: readonly T[], size: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
};

/** The batches known before the run, in inventory order; no spec or auto → one batch. */
export function makeBatches(hosts: readonly Host[], spec: SerialSpec | undefined): Host[][] {
  if (hosts.length === 0) return [];
  if (!spec) return [[...hosts]];
  switch (spec.kind) {
    case "count":
      return chunks(hosts, spec.count);
    case "percent":
      return chunks(hosts, Math.max(1, Math.floor((hosts.length * spec.percent) / 100)));
    case "auto":
      return [[...hosts]];
  }
}

/** "2 host(s) per batch" etc., for help and output. */
export function describeSerial(spec: SerialSpec | undefined): string {
  if (!spec || (spec.kind === "percent" && spec.percent === 100)) return "all hosts at once";
  switch (spec.kind) {
    case "count":
      return `${spec.count} host(s) per batch`;
    case "percent":
      return `${spec.percent}% of the hosts per batch`;
    case "auto":
      return "all hosts at once; a VIP holder whose change needs a drain runs alone afterwards, one at a time";
  }
}
