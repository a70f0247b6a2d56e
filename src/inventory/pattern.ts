// Host patterns, used by playbook stages (`hosts:`) and `--limit`.
//   all, *              every host
//   ds1, directors      a host or group name
//   ds*, rs[12]         globs over host and group names (* ? [...])
//   a:b  a,b            union
//   a:&b                intersection (hosts in a that are also in b)
//   a:!b                exclusion; a pattern of only & / ! terms starts from all hosts
// Union terms are applied first, then intersections, then exclusions (as in
// Ansible), so the order of terms does not matter. Results keep inventory order.
import { charsetMessage, HOST_PATTERN } from "../config/charsets.js";
import { closeNames } from "../config/suggest.js";
import { quoteInput, UserError } from "../errors.js";
import type { Host, Inventory } from "./model.js";

export class PatternError extends UserError {
  override readonly name = "PatternError";
  constructor(message: string) {
    super("usage", message);
  }
}

const globToRegExp = (glob: string, pattern: string): RegExp => {
  let source = "";
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === "*") source += ".*";
    else if (ch === "?") source += ".";
    else if (ch === "[") {
      const end = glob.indexOf("]", i + 1);
      if (end < 0)
        throw new PatternError(`host pattern ${quoteInput(pattern)}: unclosed "[" in ${quoteInput(glob)}`);
      const body = glob
        .slice(i + 1, end)
        .replace(/^!/, "^")
        .replace(/\\/g, "\\\\");
      source += `[${body}]`;
      i = end;
    } else source += ch.replace(/[.+^${}()|\\\]]/g, "\\$&");
  }
  try {
    return new RegExp(`^${source}$`);
  } catch {
    // e.g. a range out of order, "[z-a]"
    throw new PatternError(
      `host pattern ${quoteInput(pattern)}: invalid glob ${quoteInput(glob)} (a [...] range must go from low to high, like [a-z])`,
    );
  }
};

const isGlob = (term: string): boolean => /[*?[]/.test(term);

/** Names of the hosts a single term (without &/! prefix) denotes. */
const resolveTerm = (inv: Inventory, term: string, pattern: string): Set<string> => {
  if (term === "all" || term === "*") return new Set(inv.hosts.map((h) => h.name));
  const names = new Set<string>();
  const addGroup = (group: string) => {
    for (const member of inv.groups[group] ?? []) names.add(member);
  };
  if (isGlob(term)) {
    const re = globToRegExp(term, pattern);
    let matched = false;
    for (const host of inv.hosts.filter((h) => re.test(h.name))) {
      matched = true;
      names.add(host.name);
    }
    for (const group of Object.keys(inv.groups).filter((g) => re.test(g))) {
      matched = true;
      addGroup(group);
    }
    if (!matched)
      throw new PatternError(`host pattern ${quoteInput(pattern)}: ${term} matches no host or group`);
    return names;
  }
  if (inv.hosts.some((h) => h.name === term)) names.add(term);
  else if (term in inv.groups) addGroup(term);
  else {
    const close = closeNames(term, [...inv.hosts.map((h) => h.name), ...Object.keys(inv.groups)]);
    const hint = close.length > 0 ? `; did you mean ${close.map((c) => `"${c}"`).join(" or ")}?` : "";
    throw new PatternError(
      `host pattern ${quoteInput(pattern)}: ${term} is neither a host nor a group${hint}`,
    );
  }
  return names;
};

/** Hosts matching `pattern`, in inventory order. Throws PatternError on syntax errors and unknown names. */
export const selectHosts = (inv: Inventory, pattern: string): Host[] => {
  const terms = pattern.split(/[:,]/).map((t) => t.trim());
  if (pattern.trim() === "" || terms.some((t) => t === "" || t === "&" || t === "!"))
    throw new PatternError(`host pattern ${quoteInput(pattern)}: empty term`);
  const invalid = charsetMessage(HOST_PATTERN, pattern);
  if (invalid) throw new PatternError(`host pattern ${quoteInput(pattern)}: ${invalid}`);
  const unions = terms.filter((t) => !t.startsWith("&") && !t.startsWith("!"));
  const intersections = terms.filter((t) => t.startsWith("&")).map((t) => t.slice(1));
  const exclusions = terms.filter((t) => t.startsWith("!")).map((t) => t.slice(1));

  let selected = new Set<string>();
  if (unions.length === 0) selected = resolveTerm(inv, "all", pattern);
  for (const term of unions) for (const name of resolveTerm(inv, term, pattern)) selected.add(name);
  for (const term of intersections) {
    const other = resolveTerm(inv, term, pattern);
    selected = new Set([...selected].filter((name) => other.has(name)));
  }
  for (const term of exclusions) for (const name of resolveTerm(inv, term, pattern)) selected.delete(name);
  return inv.hosts.filter((h) => selected.has(h.name));
};
