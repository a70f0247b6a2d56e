// Whether a change to lvsplay's keepalived file can be loaded by a reload on a
// director that holds a VIP, without handing the VIP over. keepalived's
// checker matches virtual servers across a reload by their key (fwmark and
// family): one that stays is edited in place (scheduler, persistence, flags:
// IP_VS_SO_SET_EDIT since keepalived 2.0.19, commit 385ceb1a), its real servers
// diffed one by one, and the kernel keeps the service's connection table. Its
// VRRP process keeps the instance's state across a reload. So when only
// virtual_server blocks differ, a reload moves no VIP and breaks no connection;
// anything else (the VRRP instance, the sync daemon, global settings, a
// virtual server added, removed or renumbered) is handed over first. Older keepalived compared the scheduler too, so a changed
// one meant delete and re-add: connections lost. Pure: texts in, answer out.

/** The first keepalived version that edits a kept virtual server in place on reload. */
export const EDITS_SERVICES_SINCE = "2.0.19";

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

const VIRTUAL_SERVER = /^\s*virtual_server\s/;
/** keepalived starts a comment at `#` or `!`. */
const code = (line: string) => line.replace(/[#!].*$/, "");

/** The `virtual_server …` header lines (their keys), sorted: a reload keeps exactly the ones in both. */
export const virtualServerKeys = (text: string): string[] =>
  text
    .split("\n")
    .map((l) => code(l).replace(/\s*\{\s*$/, "").trim().replace(/\s+/g, " "))
    .filter((l) => VIRTUAL_SERVER.test(l))
    .sort();

/**
 * The text without its top-level `virtual_server … { … }` blocks (and without
 * comments and blank lines); null when its braces do not balance (then nobody
 * can tell what changed).
 */
export function withoutVirtualServers(text: string): string | null {
  const kept: string[] = [];
  let depth = 0;
  let skipping = false;
  for (const raw of text.split("\n")) {
    const line = code(raw).trimEnd();
    if (depth === 0 && VIRTUAL_SERVER.test(line)) skipping = true;
    for (const ch of line) {
      if (ch === "{") depth++;
      else if (ch === "}") depth--;
      if (depth < 0) return null;
    }
    if (!skipping && line.trim() !== "") kept.push(line);
    if (skipping && depth === 0 && line.includes("}")) skipping = false;
  }
  return depth === 0 ? kept.join("\n") : null;
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
  const [was, will] = [withoutVirtualServers(before), withoutVirtualServers(after)];
  if (was === null || will === null || was !== will) return undefined;
  // Another key (a renumbered fwmark, a new or removed service) is a delete and an add: connections go.
  if (virtualServerKeys(before).join("\n") !== virtualServerKeys(after).join("\n")) return undefined;
  return `only virtual_server blocks differ: keepalived ${version} edits them in place on reload (the VIP stays, connections are kept)`;
}
