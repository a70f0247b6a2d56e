// Points where a command plugs behaviour into a run without the engine knowing
// about LVS: the cluster lock (before any stage) and the rolling apply's drain
// (around a host's changes).
import type { Host, Inventory } from "../inventory/model.js";
import type { Transport } from "../transport/types.js";
import type { SerialSpec } from "./batches.js";
import type { ChangeCause } from "./cause.js";
import type { DataReader } from "./data.js";
import type { EventBus } from "./events.js";
import type { Change } from "./types.js";

export interface HookContext {
  readonly inventory: Inventory;
  readonly events: EventBus;
  /** The run's one connection to a host (opened on first use). */
  readonly connect: (host: string) => Promise<Transport>;
}

export interface HostHookContext extends HookContext {
  readonly host: Host;
  /** Typed data of the current batch (e.g. every director's data plane). */
  readonly data: DataReader;
}

/** What beforeChange says about a change: undefined → apply it. */
export interface ChangeVerdict {
  /** The hook carries the change out itself (later): not applied now; the note says by what and when. */
  readonly deferred: string;
}

/** What beforeRun prepared. */
export interface Prepared {
  /** Runs when the run ends (also after a failure or an interrupt). */
  readonly release: () => Promise<void>;
  /**
   * Hosts it could not prepare for a reason of their own (sudo refused the lock
   * command): host → why. They fail before any stage and nothing runs there.
   */
  readonly failed: ReadonlyMap<string, string>;
}

export interface RunHooks {
  /**
   * Before the first stage, with every host the run may change: e.g. take the
   * cluster lock. Throwing ends the run before any change.
   */
  readonly beforeRun?: (ctx: HookContext & { readonly hosts: readonly Host[] }) => Promise<Prepared>;
  /**
   * The batches when the run was given none (--serial), decided after beforeRun
   * with the run's connections (e.g. directors one at a time on a serving
   * cluster). Apply mode only: check mode is never batched.
   */
  readonly defaultSerial?: (
    ctx: HookContext & { readonly hosts: readonly Host[] },
  ) => Promise<SerialSpec | undefined>;
  /** Before each change on a host (apply mode only). Throwing fails the task. */
  readonly beforeChange?: (
    ctx: HostHookContext & { readonly change: Change },
  ) => Promise<ChangeVerdict | undefined>;
  /**
   * After each host's stage (apply mode only): undo what beforeChange did, now
   * or — while a later stage may still need it (laterCauses) — after that
   * stage. Throwing fails the host.
   */
  readonly afterHostStage?: (ctx: HostHookContext & AfterStage) => Promise<void>;
  /**
   * After each batch (apply mode only, also when its stages were cut short by
   * failures or an interrupt): undo whatever is still in place. Returns the
   * hosts it could not restore, host → why; they count as failed.
   */
  readonly afterBatch?: (ctx: HookContext) => Promise<ReadonlyMap<string, string>>;
}

export interface AfterStage {
  /** The stage failed on this host: it runs no later stage. */
  readonly failed: boolean;
  /** Every host of the current batch (this one included). */
  readonly batch: readonly string[];
  /** What the host's later stages in this batch may change (their tasks' declared causes). */
  readonly laterCauses: readonly ChangeCause[];
}
