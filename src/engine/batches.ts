// Rolling apply: the run's hosts in batches (Ansible's `serial`). Every batch
// runs the whole playbook (applied and verified) before the next one starts.
import { UsageError } from "../errors.js";
import type { Host } from "../inventory/model.js";

export type SerialSpec =
  /** --serial N: N hosts per batch. */
  | { readonly kind: "count"; readonly count: number }
  /** --serial P%: P percent of the run's hosts per batch (rounded down, at least 1). */
  | { readonly kind: "percent"; readonly percent: number }
  /** Members of a group one at a time, then everything else in one batch (lvsplay's default for directors). */
  | { readonly kind: "one-at-a-time"; readonly group: string };

/** Parses --serial: "2", "25%". */
export function parseSerial(value: string): SerialSpec {
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
      `--serial ${JSON.stringify(value)}: expected a number of hosts (>= 1) or a percentage like 25%`,
    );
  return { kind: "count", count: n };
}

const chunks = <T>(items: readonly T[], size: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
};

/** The batches, in inventory order; no spec → one batch. */
export function makeBatches(hosts: readonly Host[], spec: SerialSpec | undefined): Host[][] {
  if (hosts.length === 0) return [];
  if (!spec) return [[...hosts]];
  switch (spec.kind) {
    case "count":
      return chunks(hosts, spec.count);
    case "percent":
      return chunks(hosts, Math.max(1, Math.floor((hosts.length * spec.percent) / 100)));
    case "one-at-a-time": {
      const members = hosts.filter((h) => h.groups.includes(spec.group));
      const rest = hosts.filter((h) => !h.groups.includes(spec.group));
      return [...members.map((h) => [h]), ...(rest.length > 0 ? [rest] : [])];
    }
  }
}

/** "2 host(s) per batch" etc., for help and output. */
export const describeSerial = (spec: SerialSpec | undefined): string =>
  !spec
    ? "all hosts at once"
    : spec.kind === "count"
      ? `${spec.count} host(s) per batch`
      : spec.kind === "percent"
        ? `${spec.percent}% of the hosts per batch`
        : `${spec.group} one at a time, then the other hosts`;
