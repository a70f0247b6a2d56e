// "Commands are argv arrays, never string-concatenated from inventory values":
// finds commands that break that rule. A `sh -c SCRIPT` command may only receive
// inventory values (VIPs, addresses, MACs, interface names) as positional
// arguments after SCRIPT, never spliced into SCRIPT itself.

import type { Inventory } from "../../../src/inventory/model.js";
import { DATA_PLANE } from "../../../src/operations/lvs/data-keys.js";
import type { Command } from "../../../src/transport/types.js";

const SHELLS = new Set(["sh", "bash", "dash", "/bin/sh", "/bin/bash", "/usr/bin/sh", "/usr/bin/env"]);

/** Values that come from the inventory or from other hosts' data planes. */
export function inventoryValues(
  inv: Inventory,
  data: Readonly<Record<string, Readonly<Record<string, unknown>>>>,
): string[] {
  const values = new Set<string>();
  for (const h of inv.hosts) {
    values.add(h.connection.address);
    if (h.dataAddress) values.add(h.dataAddress);
    if (h.interface) values.add(h.interface);
  }
  for (const s of inv.lvs?.services ?? []) values.add(s.vip);
  for (const byKey of Object.values(data)) {
    const d = DATA_PLANE.schema.safeParse(byKey[DATA_PLANE.name]);
    if (d.success) values.add(d.data.mac).add(d.data.address);
  }
  return [...values];
}

/** Problems with one command; empty when it is a clean argv. */
export function argvProblems(command: Command, values: readonly string[]): string[] {
  const { argv } = command;
  const problems: string[] = [];
  if (!Array.isArray(argv) || argv.length === 0) return ["argv is not a non-empty array"];
  argv.forEach((a, i) => {
    if (typeof a !== "string") problems.push(`argv[${i}] is ${typeof a}, not a string`);
    else if (a.includes("\0")) problems.push(`argv[${i}] contains NUL`);
  });
  const [program = "", flag, script] = argv;
  if (/\s/.test(program)) problems.push(`program name ${JSON.stringify(program)} is a shell string`);
  if (SHELLS.has(program) && flag === "-c" && typeof script === "string") {
    for (const v of values)
      if (script.includes(v)) problems.push(`inventory value ${v} is spliced into the sh -c script`);
    // Positional parameters need $0 and the values after the script.
    const maxParam = Math.max(
      0,
      ...[...script.matchAll(/\$\{?([1-9])/g)].map((m) => Number(m[1])),
      script.includes('"$@"') ? 1 : 0,
    );
    if (maxParam > 0 && argv.length < 4)
      problems.push(`script uses positional parameters but argv has no $0/arguments after it`);
  }
  return problems;
}
