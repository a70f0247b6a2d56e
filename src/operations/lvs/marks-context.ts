// What every back-end's mark planning starts from: this director, its peers,
// the specs of its rules, the peers' MACs and how to build a change.
import { type ChangeCause, cause, inPlace } from "../../engine/cause.js";
import type { Change } from "../../engine/types.js";
import type { MarkRuleSpec } from "../../lvs/index.js";
import type { MarkDriftNote } from "../../lvs/marks/drift.js";
import type { DiscoveredDirector } from "./shared.js";

export interface MarkContext {
  readonly host: string;
  readonly directors: readonly DiscoveredDirector[];
  readonly specs: readonly MarkRuleSpec[];
  /** Peer directors' MACs, ordered by director name. */
  readonly peers: readonly string[];
  /** The host's inventory timeout_scale (firewall-cmd's D-Bus reply limit follows it). */
  readonly timeoutScale: number;
}

/** What a back-end planned: the changes, notes, and the rules it stands for (MarkPlan). */
export interface BackendMarkPlan {
  readonly changes: Change[];
  readonly notes: string[];
  /** Desired rules in iptables-save syntax (MarkPlan.rules). */
  readonly rules: readonly string[];
  readonly peerSet: { readonly name: string; readonly members: readonly string[] } | null;
  readonly error?: string;
}

/** A command change repairing mark drift (its cause is the drift's kind). */
export function driftCommand(
  drift: MarkDriftNote,
  summary: string,
  argv: readonly string[],
  extra: {
    readonly stdin?: string;
    readonly before?: string;
    readonly after?: string;
    readonly equivalent?: readonly string[];
    /** Why a VIP holder can take it without handing the VIP over (ChangeCause.inPlace). */
    readonly inPlace?: string;
  } = {},
): Change {
  const c: ChangeCause = inPlace(cause(drift.kind), extra.inPlace);
  return {
    kind: "command",
    cause: c,
    summary,
    command: {
      argv: [...argv],
      become: true,
      timeoutSec: 60,
      ...(extra.stdin !== undefined ? { stdin: extra.stdin } : {}),
    },
    ...(extra.before !== undefined ? { before: extra.before } : {}),
    ...(extra.after !== undefined ? { after: extra.after } : {}),
    ...(extra.equivalent !== undefined ? { equivalent: [...extra.equivalent] } : {}),
    drift,
  };
}

/**
 * A change removing what this host's other mark back-end left behind (its
 * back-end changed): it would keep marking next to the rules in use, so the
 * drift is high.
 */
export function leftoverRemoval(
  drift: MarkDriftNote,
  leftover: {
    /** The drift's summary: what is still there. */
    readonly summary: string;
    /** The change's summary. */
    readonly change: string;
    readonly argv: readonly string[];
    /** What the command reads on stdin. */
    readonly script: string;
  },
): Change {
  return driftCommand(
    { ...drift, kind: "mark-rule-differs", severity: "high", summary: leftover.summary },
    leftover.change,
    leftover.argv,
    { stdin: leftover.script },
  );
}

/** `firewall-cmd [--permanent] ARGS…` as a short summary. */
export const firewallCmdSummary = (argv: readonly string[]): string => {
  const permanent = argv.includes("--permanent");
  const rest = argv.slice(1).filter((a) => a !== "--permanent");
  return `firewalld ${permanent ? "permanent" : "runtime"}: ${rest.join(" ")}`;
};
