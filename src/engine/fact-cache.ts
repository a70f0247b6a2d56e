// Facts read earlier in the same run, reused by later stages while they cannot
// have changed. Any change applied anywhere invalidates everything: a change on
// one host can change what another host's facts show (VRRP, IPVS, probes), and
// a no-op run — the common case — never invalidates at all.

/** One host's slice of the cache, as gatherFacts sees it. */
export interface FactCacheView {
  get(key: string): { readonly value: unknown } | undefined;
  /**
   * A writer for one read that starts now: what it stores is dropped if any
   * change began or ended while the read was in flight (it may have seen a
   * half-applied state).
   */
  writer(): (key: string, value: unknown) => void;
}

export class RunFactCache {
  private generation = 0;
  private readonly byHost = new Map<string, { generation: number; values: Map<string, unknown> }>();

  /**
   * A change is about to be applied, or has just been: nothing read before it
   * can be trusted. Called on both sides of every change.
   */
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
      writer: () => {
        const started = this.generation;
        return (key, value) => {
          if (this.generation === started) current().set(key, value);
        };
      },
    };
  }
}
