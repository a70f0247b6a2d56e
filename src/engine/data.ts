// Typed data between stages. An operation declares the keys it PRODUCES on a
// host (e.g. a director's data plane) and the keys it CONSUMES from hosts
// (its own, or every director's). Values travel in a RunData store, read and
// written only through their key, so a reader gets the producer's type — no
// shared map of unknowns, no casts. Preflight checks that every consumed key
// has a producer earlier in the playbook; the run reads missing producers
// (facts and plan only) when --limit/--tags leave them out.
import type { z } from "zod";
import type { Host, Inventory } from "../inventory/model.js";

/** The values of one run. Only an identity: each key keeps its own values per store. */
export class RunData {
  private readonly written = new Map<string, Set<string>>();

  /** Called by DataKey.set: which hosts have a value for which key (for messages and tests). */
  noteWritten(key: string, host: string): void {
    const hosts = this.written.get(key) ?? new Set<string>();
    this.written.set(key, hosts.add(host));
  }

  hostsWith(key: string): ReadonlySet<string> {
    return this.written.get(key) ?? new Set();
  }
}

/** A named, typed value an operation produces per host. */
export class DataKey<T> {
  private readonly stores = new WeakMap<RunData, Map<string, T>>();

  constructor(
    /** Unique name, e.g. "lvs.data_plane" (fixtures and messages use it). */
    readonly name: string,
    /** What it is, for messages: "data plane" → "reading bravo for peer data plane". */
    readonly description: string,
    /** Validates a value from outside the engine (operation fixtures). */
    readonly schema: z.ZodType<T>,
  ) {}

  get(store: RunData, host: string): T | undefined {
    return this.stores.get(store)?.get(host);
  }

  set(store: RunData, host: string, value: T): void {
    const values = this.stores.get(store) ?? new Map<string, T>();
    this.stores.set(store, values.set(host, value));
    store.noteWritten(this.name, host);
  }

  /** A produced value for a plan: the key, the value, and how to store it. */
  value(value: T): Produced {
    return { key: this, value, store: (store, host) => this.set(store, host, value) };
  }

  /** Parses an untyped value (a fixture's) into a produced value. */
  parse(raw: unknown): Produced {
    return this.value(this.schema.parse(raw));
  }
}

/** Any key, whatever its value type (for declarations and lookups by name). */
export interface AnyDataKey {
  readonly name: string;
  readonly description: string;
  parse(raw: unknown): Produced;
}

/** One value a plan produced; stored by the engine when the task did not fail. */
export interface Produced {
  readonly key: AnyDataKey;
  /** The value, for `register` and for fixtures' expectations (JSON view). */
  readonly value: unknown;
  readonly store: (store: RunData, host: string) => void;
}

/** Typed read access for plan functions. */
export interface DataReader {
  get<T>(key: DataKey<T>, host: string): T | undefined;
}

export const dataReader = (store: RunData): DataReader => ({
  get: (key, host) => key.get(store, host),
});

/** What an operation needs before it can plan on a host: a key's values from these hosts. */
export interface Need {
  readonly key: AnyDataKey;
  readonly hosts: readonly string[];
}

/** What produces/consumes declarations look at (no facts: decided from the inventory alone). */
export interface DataContext {
  readonly host: Host;
  readonly inventory: Inventory;
}
