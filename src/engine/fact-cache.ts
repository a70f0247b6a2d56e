// Facts read earlier in the same run, reused by later stages while they cannot
// have changed. Any change applied anywhere invalidates everything: a change on
// one host can change what another host's facts show (VRRP, IPVS, probes), and
// a no-op run — the common case — never invalidates at all.

/** One host's slice of the cache, as gatherFacts sees it. */
export interface FactCacheView {
  get(key: string): { readonly value: unknown } | undefined;
  set(key: string, value: unknown): void;
}

export class RunFactCache {
  private generation = 0;
  private readonly byHost = new Map<string, { generation: number; values: Map<string, unknown> }>();

  /** A change was (or may have been) applied: nothing read before it can be trusted. */
  invalidate(): void {
    this.generation++;
  }

  forHost(host: string): FactCacheView {
    const current = () => {
      let entry = this.byHost.get(host);
      if (!entry || entry.generation !== this.generation) {
        entry = { generation: this.generation, values: new Map() };
        this.byHost.set(host, entry);
      }
      return entry.values;
    };
    return {
      get: (key) => {
        const values = current();
        return values.has(key) ? { value: values.get(key) } : undefined;
      },
      set: (key, value) => {
        current().set(key, value);
      },
    };
  }
}
