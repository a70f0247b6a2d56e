// Plan-time checks of a director's failover hooks against the host: keepalived
// -t accepts a notify script that is missing, not executable or writable by
// others, and keepalived would then silently not run it on failover. So every
// hook file must exist, be executable and pass enable_script_security's test,
// and every tracked interface must exist and not be the VRRP interface itself.
import { type FactReader, factRequest } from "../../engine/types.js";
import { networkFact } from "../../facts/network.js";
import { scriptFilesFact, scriptInsecurity } from "../../facts/script-files.js";
import type { Host, Inventory } from "../../inventory/model.js";
import { hookExecutables, hooksFor } from "../../lvs/index.js";
import { lvsOf } from "./shared.js";

const executablesOf = (host: Host, inventory: Inventory): string[] =>
  [...new Set(hookExecutables(hooksFor(lvsOf(inventory).vrrp, host.name)).map((e) => e.path))].sort();

/** The facts the checks read (none for a director without hooks). */
export function hookFactRequests(host: Host, inventory: Inventory) {
  const paths = executablesOf(host, inventory);
  const tracks = hooksFor(lvsOf(inventory).vrrp, host.name).trackInterfaces.length > 0;
  return [
    ...(paths.length > 0 ? [factRequest(scriptFilesFact, ...paths)] : []),
    ...(tracks ? [factRequest(networkFact)] : []),
  ];
}

/** What stops the hooks from working on this director (empty: nothing). */
export function hookProblems(
  host: Host,
  inventory: Inventory,
  vrrpInterface: string,
  facts: FactReader,
): string[] {
  const hooks = hooksFor(lvsOf(inventory).vrrp, host.name);
  const problems: string[] = [];
  const paths = executablesOf(host, inventory);
  if (paths.length > 0) {
    const files = facts.get(factRequest(scriptFilesFact, ...paths));
    for (const { path, what } of hookExecutables(hooks)) {
      const file = files[path];
      const why = file ? scriptInsecurity(file) : "was not read";
      if (why)
        problems.push(
          `${what}: ${path} ${why.startsWith("/") ? `cannot run: ${why}` : why} (keepalived runs hooks as root, only from files and folders no other user can change)`,
        );
    }
  }
  if (hooks.trackInterfaces.length > 0) {
    const have = facts.get(factRequest(networkFact)).interfaces.map((i) => i.name);
    for (const t of hooks.trackInterfaces) {
      if (t.name === vrrpInterface)
        problems.push(`track_interfaces: ${t.name} is the VRRP interface itself (keepalived ignores it)`);
      else if (!have.includes(t.name))
        problems.push(
          `track_interfaces: ${t.name} does not exist on ${host.name} (it has ${have.join(", ")})`,
        );
    }
  }
  return problems;
}
