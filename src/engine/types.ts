// Facts → plan → apply. A fact is a remote read plus a pure parser; an operation
// is a pure function from desired state + facts to a list of typed changes.
import type { z } from "zod";
import type { Host, Inventory } from "../inventory/model.js";
import type { Command, CommandResult } from "../transport/types.js";
import type { ChangeCause } from "./cause.js";
import type { DataContext, DataReader, Need, Produced } from "./data.js";
import type { DriftNote } from "./drift.js";

/** A remote read. `command` must not change anything on the host. */
export interface Fact<T> {
  /** Unique name, e.g. "ip.link" or "file.content". */
  readonly name: string;
  readonly command: (args: readonly string[]) => Command;
  /** Pure: turns the command's output into a value (throw FactError on garbage). */
  readonly parse: (result: CommandResult, args: readonly string[]) => T;
  /**
   * Observes behaviour over time (request probes, waiting for VRRP to settle)
   * rather than host state: read only by the task that needs it, when it runs;
   * never read ahead by an earlier stage nor reused from the run's cache.
   */
  readonly volatile?: boolean;
  /** Runs a command from the playbook: kept as its own `sh -c`, never inlined into the batch script. */
  readonly opaque?: boolean;
}

export class FactError extends Error {
  override readonly name = "FactError";
}

/** A fact an operation needs, with its arguments (e.g. the path of a file). */
export interface FactRequest<T = unknown> {
  readonly fact: Fact<T>;
  readonly args: readonly string[];
}

export const factRequest = <T>(fact: Fact<T>, ...args: string[]): FactRequest<T> => ({ fact, args });

/** Key used to store a gathered fact: name plus arguments. */
export const factKey = (req: FactRequest): string => JSON.stringify([req.fact.name, ...req.args]);

/** Gathered facts of one host; reading a fact that was not requested is a programming error. */
export interface FactReader {
  get<T>(req: FactRequest<T>): T;
}

/** A typed change. Check mode prints these; apply executes them in order. */
export type Change = CommandChange | FileChange;

interface ChangeBase {
  /** What the change repairs, typed: the audit classifies it and the rolling apply decides on draining from it. */
  readonly cause: ChangeCause;
  /** Why the change is needed in operator language, for the drift audit (else built from the cause). */
  readonly drift?: DriftNote;
}

export interface CommandChange extends ChangeBase {
  readonly kind: "command";
  /** One line a human can read: "load ip_vs", "add VIP 7.7.7.100/32 to lo". */
  readonly summary: string;
  readonly command: Command;
  /**
   * The command an operator would type for the same effect, shown by --diff
   * when `command` is a script doing it another way (firewall-cmd's D-Bus
   * calls made with busctl).
   */
  readonly equivalent?: readonly string[];
  /** Readable state before/after for --diff (e.g. the rule list). */
  readonly before?: string;
  readonly after?: string;
}

export interface FileChange extends ChangeBase {
  readonly kind: "file";
  readonly summary: string;
  readonly path: string;
  /** Current content; null when the file does not exist. */
  readonly before: string | null;
  readonly after: string;
  /** Octal mode as a string, e.g. "0644". */
  readonly mode: string;
  /**
   * Validate the new content on the host before installing it: argv where the
   * placeholder "{}" is replaced by the temporary file path. Non-zero → not installed.
   */
  readonly validate?: readonly string[];
  /** Keep the old file as PATH.lvsplay-bak before replacing it. */
  readonly backup?: boolean;
}

/** What an operation decided for one host. */
export interface Plan {
  readonly changes: readonly Change[];
  /** Informational lines (why nothing changes, what was assumed, warnings). */
  readonly notes?: readonly string[];
  /** Operation cannot proceed on this host: the task fails with this message, nothing is applied. */
  readonly error?: string;
  /** Read-only checks (verify stage): each is a named pass/fail/skip result. */
  readonly checks?: readonly CheckResult[];
  /** Typed values for later tasks and other hosts (e.g. the discovered data plane), see data.ts. */
  readonly produce?: readonly Produced[];
  /** Task counts as skipped (e.g. operation does not apply to this host). */
  readonly skipped?: string;
}

export interface CheckResult {
  readonly name: string;
  readonly status: "pass" | "fail" | "skip";
  readonly detail: string;
}

/** Everything a plan function may look at. All of it is plain data. */
export interface PlanContext<A> {
  readonly host: Host;
  readonly inventory: Inventory;
  readonly args: A;
  readonly facts: FactReader;
  /** Typed values produced by earlier tasks, on this host or others (only the keys `consumes` declares). */
  readonly data: DataReader;
  /** Hosts this task runs on in this run (not those only read for their data). */
  readonly selected: readonly string[];
  readonly check: boolean;
  /**
   * Whether behaviour probes (requests through a service from a client) run.
   * False in `audit --watch`, which re-reads only what drift detection needs;
   * absent means true.
   */
  readonly probes?: boolean;
  /**
   * Handlers only: the changes made on this host in this stage (planned ones in
   * check mode) after the last change that notified the handler, in order. The
   * handler's work may already be done by one of them: a service started or
   * restarted after its configuration changed need not be restarted again.
   */
  readonly sinceNotified?: readonly Change[];
}

/** An operation: declares the facts it needs and plans from them. Must not touch hosts. */
export interface Operation<A = unknown> {
  readonly name: string;
  /** One-line description for `lvsplay ops` and errors. */
  readonly description: string;
  /** Validate and normalise the task's `args` (zod schema parse, throws on error). */
  readonly parseArgs: (raw: unknown) => A;
  /** The schema parseArgs checks with: preflight reports its issues at the arg's key, with "did you mean". */
  readonly argsSchema?: z.ZodType;
  readonly facts: (ctx: Omit<PlanContext<A>, "facts">) => readonly FactRequest[];
  readonly plan: (ctx: PlanContext<A>) => Plan;
  /** Keys this operation produces on a host (decided from the inventory). */
  readonly produces?: (ctx: DataContext) => readonly AnyKey[];
  /** Keys (and from which hosts) it needs before it can plan on a host. */
  readonly consumes?: (ctx: DataContext) => readonly Need[];
  /**
   * The causes its changes can carry, from the task's raw args, known before
   * any fact is read: a rolling apply keeps a director's VIP handed over until
   * no later stage of its batch can disrupt its traffic. Absent: none that a
   * look-ahead needs to know of (checks, files, playbook commands). A subject
   * the raw args do not say (a `{{ var }}` not yet resolved) is left out.
   */
  readonly mayCause?: (rawArgs: unknown) => readonly ChangeCause[];
}

type AnyKey = Need["key"];

export type TaskStatus = "ok" | "changed" | "failed" | "skipped" | "unreachable";

export const unchanged = (...notes: string[]): Plan => ({ changes: [], notes });
