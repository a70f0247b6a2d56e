// Inventories for the LVS tests: the seed topology (ds1/ds2 are directors and
// real servers, rs3 only a real server, VIP 7.7.7.100:80) and variations.
import type { Host, Inventory, LvsModel, Service } from "../../../src/inventory/model.js";
import type { DirectorFacts } from "../../../src/lvs/directors.js";

export const host = (name: string, address: string, groups: string[]): Host => ({
  name,
  connection: {
    address,
    port: 22,
    user: "root",
    agent: false,
    identityFiles: [],
    knownHostsFiles: ["/dev/null"],
    become: { enabled: false },
    connectTimeoutSec: 5,
    timeoutScale: 1,
  },
  groups,
  vars: {},
});

export const webService = (over: Partial<Service> = {}): Service => ({
  name: "web",
  vip: "7.7.7.100",
  protocol: "tcp",
  ports: [80],
  scheduler: "rr",
  forwarding: "dr",
  healthCheck: { kind: "tcp", connectTimeoutSec: 3, delayLoopSec: 6, retry: 3 },
  checkPort: 80,
  fwmarks: {},
  weights: {},
  ...over,
});

export const directorFacts = (n: number): DirectorFacts => ({
  name: `ds${n}`,
  interface: "eth1",
  mac: `02:00:07:07:07:1${n}`,
  address: `7.7.7.1${n}`,
});

export interface TopologyOptions {
  directors?: number;
  services?: Service[];
  lvs?: Partial<LvsModel>;
}

/** `directors` directors ds1..dsN (all also real servers) plus rs{N+1} as a plain real server. */
export function inventory(opts: TopologyOptions = {}): Inventory {
  const n = opts.directors ?? 2;
  const directors = Array.from({ length: n }, (_, i) => `ds${i + 1}`);
  const rsName = `rs${n + 1}`;
  const hosts = [
    ...directors.map((d, i) => host(d, `7.7.7.1${i + 1}`, ["directors", "realservers"])),
    host(rsName, `7.7.7.1${n + 1}`, ["realservers"]),
  ];
  const priorities = Object.fromEntries(directors.map((d, i) => [d, 150 - 50 * i]));
  const lvs: LvsModel = {
    services: opts.services ?? [webService()],
    vrrp: {
      virtualRouterId: 51,
      order: directors,
      priorities,
      advertIntSec: 1,
      unicast: false,
      nopreempt: false,
      hooks: { notify: {}, trackInterfaces: [], trackScripts: [] },
      hooksByDirector: {},
    },
    persistence: "auto",
    keepalived: {
      configPath: "/etc/keepalived/keepalived.conf",
      ownPath: "/etc/keepalived/lvsplay.conf",
      adopt: false,
    },
    vrrpOnly: false,
    allowLoopingLayout: false,
    connectionSync: false,
    ...opts.lvs,
  };
  return {
    file: "/inventory/seed.yml",
    hosts,
    groups: { directors, realservers: [...directors, rsName] },
    vars: {},
    lvs,
  };
}

export const allFacts = (n: number): DirectorFacts[] =>
  Array.from({ length: n }, (_, i) => directorFacts(i + 1));
