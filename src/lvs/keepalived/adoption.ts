// Hand-made keepalived blocks that already serve lvsplay's VIPs (the seed
// article's layout): lvsplay never runs its instance next to them. They are
// replaced by lvsplay's only when the inventory opts in (lvs.keepalived.adopt)
// and each can be cut out of the main file on its own; otherwise the plan stops
// and says why. Part of coexist.ts's plan.
import type { OwnConfig } from "./coexist.js";
import {
  at,
  type ConfigContent,
  describeInstance,
  describeVirtualServer,
  type VirtualServerInfo,
} from "./content.js";
import type { Span, Statement } from "./syntax.js";

export interface AdoptionInput {
  /** The host's own (foreign) configuration. */
  readonly foreign: ConfigContent;
  readonly own: OwnConfig;
  /** lvsplay's VIPs. */
  readonly vips: ReadonlySet<string>;
  /** Marks that mangle rules lvsplay does not own set, with the destinations they mark. */
  readonly foreignMarkTargets: ReadonlyMap<number, readonly string[]>;
  /** The main keepalived file: only blocks there can be cut out. */
  readonly main: string;
  readonly adopt: boolean;
}

export interface AdoptionPlan {
  readonly errors: readonly string[];
  readonly notes: readonly string[];
  /** The adopted blocks' lines, to cut from the main file. */
  readonly removals: readonly Span[];
  /** The adopted blocks, described for messages. */
  readonly adopted: readonly string[];
  /** Every foreign statement that serves lvsplay's VIPs, adopted or not: no collision check for them. */
  readonly candidateStatements: ReadonlySet<Statement>;
}

export function planAdoption(input: AdoptionInput): AdoptionPlan {
  const { foreign, own, vips, main, adopt } = input;
  const errors: string[] = [];
  const notes: string[] = [];
  const candidates: { what: string; span: Span | null; file: string; reason?: string }[] = [];
  const syncMembers = new Map(foreign.syncGroups.flatMap((g) => g.members.map((m) => [m, g] as const)));
  for (const inst of foreign.instances) {
    const ours = inst.addresses.filter((a) => vips.has(a));
    if (ours.length === 0) continue;
    const others = inst.addresses.filter((a) => !vips.has(a));
    const group = syncMembers.get(inst.name);
    candidates.push({
      what: describeInstance(inst),
      span: inst.statement.span,
      file: inst.file,
      ...(others.length > 0
        ? { reason: `it also holds ${others.join(", ")}, which the inventory does not declare` }
        : group
          ? { reason: `it is a member of vrrp_sync_group ${group.name} (${at(group)})` }
          : {}),
    });
  }
  const servesOurs = (v: VirtualServerInfo): boolean => {
    const k = v.key;
    if (k.kind === "address")
      return own.services.some(
        (s) => s.vip === k.ip && s.protocol === k.protocol && s.ports.includes(k.port),
      );
    if (k.kind === "fwmark") return (input.foreignMarkTargets.get(k.mark) ?? []).some((t) => vips.has(t));
    return false;
  };
  for (const vs of foreign.virtualServers) {
    if (servesOurs(vs))
      candidates.push({
        what: `${describeVirtualServer(vs.key)} at ${at(vs)}`,
        span: vs.statement.span,
        file: vs.file,
      });
    else if (vs.key.kind === "address" && vips.has(vs.key.ip))
      notes.push(
        `${describeVirtualServer(vs.key)} at ${at(vs)} uses lvsplay's VIP ${vs.key.ip} on a port the inventory does not declare: kept`,
      );
  }
  for (const g of foreign.virtualServerGroups) {
    const hit = g.members.some(
      (m) =>
        (m.kind === "address" && own.services.some((s) => s.vip === m.ip && s.ports.includes(m.port))) ||
        (m.kind === "fwmark" && own.marks.includes(m.mark)),
    );
    if (hit)
      errors.push(
        `virtual_server_group ${g.name} at ${at(g)} serves lvsplay's services: convert it by hand (lvsplay does not rewrite groups)`,
      );
  }
  const candidateStatements = new Set([
    ...foreign.instances.filter((i) => i.addresses.some((a) => vips.has(a))).map((i) => i.statement),
    ...foreign.virtualServers.filter(servesOurs).map((v) => v.statement),
  ]);
  const adopted: string[] = [];
  const removals: Span[] = [];
  if (candidates.length > 0) {
    const blocked = candidates.filter((c) => c.reason || c.span === null || c.file !== main);
    for (const c of blocked)
      errors.push(
        `${c.what} serves lvsplay's VIP but cannot be replaced automatically: ${
          c.reason ??
          (c.file !== main
            ? `it is in an included file (${c.file})`
            : "it shares lines with other statements")
        }; convert it by hand`,
      );
    if (blocked.length === 0 && !adopt)
      errors.push(
        `the host already serves lvsplay's VIP ${[...vips].join(", ")} with a hand-made keepalived configuration: ${candidates
          .map((c) => c.what)
          .join(
            "; ",
          )}. lvsplay never runs a second instance for the same VIP. To let it replace these blocks ` +
          `(old file kept as ${main}.lvsplay-bak; \`apply --check --diff\` shows the change first), set lvs.keepalived.adopt: true`,
      );
    if (blocked.length === 0 && adopt)
      for (const c of candidates) {
        removals.push(c.span!);
        adopted.push(c.what);
      }
  }
  if (adopted.length > 0) {
    notes.push(
      `adopting the hand-made configuration for ${[...vips].join(", ")}: replacing ${adopted.join("; ")}`,
    );
    const stale = [...input.foreignMarkTargets].filter(([, t]) => t.some((x) => vips.has(x))).map(([m]) => m);
    if (stale.length > 0)
      notes.push(
        `mangle rules outside LVSPLAY-MARK still set mark(s) ${stale.join(", ")} for the VIP; no virtual server uses them any more: delete them`,
      );
  }
  return { errors, notes, removals, adopted, candidateStatements };
}
