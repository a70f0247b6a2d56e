// Whether a change to lvsplay's keepalived file can be loaded by a reload on a
// director that holds a VIP, without handing the VIP over. keepalived's
// checker matches virtual servers across a reload by their key (fwmark and
// family) and real servers by their address: a kept virtual server whose
// persistence changed is edited in place (IP_VS_SO_SET_EDIT), a kept real
// server whose weight changed too, added and removed real servers are added
// and removed, and the kernel keeps the service's connection table. Its VRRP
// process keeps the instance's state (and its VIP) across a reload. So those
// differences — and only those — are taken in place; anything else is handed
// over first: the VRRP instance, the sync daemon, global settings, a virtual
// server added, removed or renumbered, a changed health check (keepalived
// restarts that real server's checker as if it were up), and a changed
// scheduler: the kernel's edit unbinds the old scheduler and waits an RCU
// grace period before binding the new one, and a SYN arriving meanwhile finds
// no scheduler and is answered "port unreachable" (seen on the real IPVS
// kernel: one request refused in a roll of 2238). Versions: 2.0.19
// began editing a kept virtual server, but until 2.1.0 the edit dropped its
// persistence, and 2.2.0–2.2.1 never applied a changed weight; 2.2.2 is the
// first to do all of it. Pure: texts in, answer out.

/** The first keepalived version whose reload edits a kept virtual server and its real servers correctly. */
export const EDITS_SERVICES_SINCE = "2.2.2";

const parts = (v: string): number[] => v.split(".").map(Number);

/** Whether keepalived `version` ("2.2.7") is at least `least`. */
export function versionAtLeast(version: string, least: string): boolean {
  const [a, b] = [parts(version), parts(least)];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (Number.isNaN(d)) return false;
    if (d !== 0) return d > 0;
  }
  return true;
}

/** A statement, or a block (`head { … }`), whitespace normalised. */
interface Node {
  readonly text: string;
  readonly block?: Node[];
}

/**
 * keepalived's configuration as a tree, comments (`#`, `!`) and blank lines
 * dropped; null when nobody can tell for sure what keepalived reads: braces
 * that do not balance, a backslash (a continued line), a quote on a line with
 * a comment character (keepalived's quoting rules are not copied here).
 */
export function parseBlocks(text: string): Node[] | null {
  const root: Node[] = [];
  const stack: Node[][] = [root];
  for (const raw of text.split("\n")) {
    if (raw.includes("\\") || (raw.includes('"') && /[#!]/.test(raw))) return null;
    const line = raw.replace(/[#!].*$/, "");
    for (const piece of line.split(/([{}])/)) {
      const current = stack.at(-1)!;
      const words = piece.trim().replace(/\s+/g, " ");
      if (piece === "{") {
        const last = current.at(-1);
        if (last === undefined || last.block !== undefined) return null;
        const block: Node[] = [];
        current[current.length - 1] = { text: last.text, block };
        stack.push(block);
      } else if (piece === "}") {
        stack.pop();
        if (stack.length === 0) return null;
      } else if (words !== "") current.push({ text: words });
    }
  }
  return stack.length === 1 ? root : null;
}

const isVirtualServer = (n: Node) => n.block !== undefined && /^virtual_server /.test(n.text);
const isRealServer = (n: Node) => n.block !== undefined && /^real_server /.test(n.text);
/** What a reload edits in place on a kept virtual server (not lb_algo: see above). */
const EDITED = /^(persistence_timeout|persistence_granularity) /;
const WEIGHT = /^weight /;

const show = (nodes: readonly Node[]) => JSON.stringify(nodes);

/** Whether a kept virtual server's change is one a reload edits in place. */
function editedInPlace(before: readonly Node[], after: readonly Node[]): boolean {
  const rest = (b: readonly Node[]) => b.filter((n) => !isRealServer(n) && !EDITED.test(n.text));
  if (show(rest(before)) !== show(rest(after))) return false;
  // A real server in both may change its weight only: another health check restarts its checker as if up.
  const realServers = (b: readonly Node[]) =>
    new Map(
      b.filter(isRealServer).map((n) => [n.text, show((n.block ?? []).filter((c) => !WEIGHT.test(c.text)))]),
    );
  const [was, will] = [realServers(before), realServers(after)];
  return [...was].every(([rs, shape]) => !will.has(rs) || will.get(rs) === shape);
}

/**
 * Why a reload can load `after` in place of `before` on a VIP holder, or
 * undefined when the VIP must be handed over first (or nobody can tell).
 */
export function reloadInPlace(
  before: string | null,
  after: string,
  version: string | undefined,
): string | undefined {
  if (before === null) return undefined;
  if (before === after) return "its content is unchanged (its mode only): a reload changes nothing";
  if (version === undefined || !versionAtLeast(version, EDITS_SERVICES_SINCE)) return undefined;
  const [was, will] = [parseBlocks(before), parseBlocks(after)];
  if (was === null || will === null) return undefined;
  const outside = (nodes: Node[]) => show(nodes.filter((n) => !isVirtualServer(n)));
  if (outside(was) !== outside(will)) return undefined;
  // Another key (a renumbered fwmark, a new or removed service) is a delete and an add: connections go.
  const services = (nodes: Node[]) =>
    new Map(nodes.filter(isVirtualServer).map((n) => [n.text, n.block ?? []]));
  const [vsWas, vsWill] = [services(was), services(will)];
  if ([...vsWas.keys()].sort().join("\n") !== [...vsWill.keys()].sort().join("\n")) return undefined;
  for (const [key, body] of vsWas) if (!editedInPlace(body, vsWill.get(key) ?? [])) return undefined;
  return `only the virtual servers' real servers, weights or persistence differ: keepalived ${version} edits them in place on reload (the VIP stays, connections are kept)`;
}
