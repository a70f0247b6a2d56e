// Raw (schema-valid, rule-checked) inventory → the Inventory model: merges
// defaults into each host, resolves paths, fills defaults and derives VRRP
// order/priorities.
import type {
  HealthCheck,
  Host,
  HostConnection,
  Inventory,
  LvsModel,
  Service,
  TrackScript,
  VrrpHooks,
  VrrpSettings,
} from "./model.js";
import type { RawHost, RawInventory, RawLvs, RawService } from "./schema.js";
import type { ResolvedSecrets } from "./secrets.js";

export const ROLE_GROUPS = ["directors", "realservers", "clients"] as const;

/** Group → members. Roles always exist (possibly empty), then declared groups, then groups met in hosts. */
const groupMembers = (raw: RawInventory): Record<string, string[]> => {
  const groups: Record<string, string[]> = {};
  for (const name of [...ROLE_GROUPS, ...Object.keys(raw.groups ?? {})]) groups[name] = [];
  for (const [hostName, host] of Object.entries(raw.hosts)) {
    for (const group of host.groups ?? []) {
      const members = groups[group] ?? [];
      members.push(hostName);
      groups[group] = members;
    }
  }
  return groups;
};

const hostOf = (name: string, host: RawHost, raw: RawInventory, connection: HostConnection): Host => {
  const groups = host.groups ?? [];
  // Precedence: inventory vars < group vars (in the host's group order) < host vars. Shallow merge.
  const vars: Record<string, unknown> = { ...(raw.vars ?? {}) };
  for (const group of groups) Object.assign(vars, raw.groups?.[group]?.vars ?? {});
  Object.assign(vars, host.vars ?? {});
  return {
    name,
    connection,
    groups: [...groups],
    ...(host.interface === undefined ? {} : { interface: host.interface }),
    ...(host.data_address === undefined ? {} : { dataAddress: host.data_address }),
    vars,
  };
};

/** Descending priorities from an order: 2 directors → 150, 100; steps shrink past 4 so the top stays ≤ 254. */
export const prioritiesFromOrder = (order: readonly string[]): Record<string, number> => {
  const n = order.length;
  const step = n > 1 ? Math.min(50, Math.floor(154 / (n - 1))) : 0;
  return Object.fromEntries(order.map((name, i) => [name, 100 + step * (n - 1 - i)]));
};

type RawHooks = Pick<RawLvs["vrrp"], "notify" | "track_interfaces" | "track_scripts">;

/** Only what is set: a director's own hooks must not hide the common ones with empty lists. */
const hooksOf = (raw: RawHooks): Partial<VrrpHooks> => ({
  ...(raw.notify ? { notify: Object.fromEntries(Object.entries(raw.notify).filter(([, c]) => c)) } : {}),
  ...(raw.track_interfaces
    ? {
        trackInterfaces: raw.track_interfaces.map((t) =>
          t.weight === undefined ? { name: t.name } : { name: t.name, weight: t.weight },
        ),
      }
    : {}),
  ...(raw.track_scripts
    ? {
        trackScripts: raw.track_scripts.map(
          (t): TrackScript => ({
            name: t.name,
            command: t.script,
            intervalSec: t.interval,
            ...(t.timeout === undefined ? {} : { timeoutSec: t.timeout }),
            ...(t.weight === undefined ? {} : { weight: t.weight }),
            ...(t.rise === undefined ? {} : { rise: t.rise }),
            ...(t.fall === undefined ? {} : { fall: t.fall }),
          }),
        ),
      }
    : {}),
});

const vrrpOf = (raw: RawLvs, hostOrder: readonly string[], secrets: ResolvedSecrets): VrrpSettings => {
  const v = raw.vrrp;
  let order: string[];
  let priorities: Record<string, number>;
  if (v.order) {
    order = [...v.order];
    priorities = prioritiesFromOrder(order);
  } else {
    priorities = { ...(v.priorities ?? {}) };
    order = Object.keys(priorities).sort(
      (a, b) => (priorities[b] ?? 0) - (priorities[a] ?? 0) || hostOrder.indexOf(a) - hostOrder.indexOf(b),
    );
  }
  return {
    virtualRouterId: v.virtual_router_id,
    order,
    priorities,
    advertIntSec: v.advert_int,
    ...(v.auth && secrets.vrrp ? { auth: { type: v.auth.type, password: secrets.vrrp } } : {}),
    unicast: v.unicast,
    nopreempt: v.nopreempt,
    hooks: { notify: {}, trackInterfaces: [], trackScripts: [], ...hooksOf(v) },
    hooksByDirector: Object.fromEntries(
      Object.entries(v.per_director ?? {}).map(([d, h]) => [d, hooksOf(h)]),
    ),
  };
};

const healthCheckOf = (raw: RawService): HealthCheck => {
  const hc = raw.health_check ?? { kind: "tcp" as const, connect_timeout: 3, delay_loop: 5, retry: 2 };
  const timings = { connectTimeoutSec: hc.connect_timeout, delayLoopSec: hc.delay_loop, retry: hc.retry };
  return hc.kind === "http"
    ? { kind: "http", path: hc.path, statusCode: hc.status, ...timings }
    : { kind: "tcp", ...timings };
};

const serviceOf = (raw: RawService): Service => {
  const ports = raw.ports ?? (raw.port === undefined ? [] : [raw.port]);
  const persistence = raw.persistence_timeout;
  return {
    name: raw.name,
    vip: raw.vip,
    protocol: raw.protocol,
    ports,
    scheduler: raw.scheduler,
    forwarding: raw.forwarding,
    ...(persistence ? { persistenceTimeoutSec: persistence } : {}),
    healthCheck: healthCheckOf(raw),
    checkPort: raw.health_check?.port ?? ports[0] ?? 0,
    fwmarks: { ...(raw.fwmarks ?? {}) },
    weights: { ...(raw.weights ?? {}) },
  };
};

const lvsOf = (raw: RawLvs, hostOrder: readonly string[], secrets: ResolvedSecrets): LvsModel => ({
  services: raw.services.map(serviceOf),
  vrrp: vrrpOf(raw, hostOrder, secrets),
  persistence: raw.persistence,
  keepalived: {
    configPath: raw.keepalived?.config ?? "/etc/keepalived/keepalived.conf",
    ownPath: raw.keepalived?.lvsplay_config ?? "/etc/keepalived/lvsplay.conf",
    adopt: raw.keepalived?.adopt ?? false,
  },
  vrrpOnly: raw.vrrp_only,
  allowLoopingLayout: raw.allow_looping_layout,
  connectionSync: raw.connection_sync,
  ...(raw.connection_sync_maxlen !== undefined && { connectionSyncMaxlen: raw.connection_sync_maxlen }),
});

/**
 * `file` should be absolute: relative identity/known_hosts paths resolve against
 * its folder. `connectionOf` computes each host's SSH settings (inventory values
 * over ssh_config; inventory/ssh-settings.ts).
 * `secrets` are the passwords the loader read (secrets.ts); an inline VRRP password is one too.
 */
export const normaliseInventory = (
  raw: RawInventory,
  file: string,
  connectionOf: (name: string, host: RawHost) => HostConnection,
  secrets: ResolvedSecrets = { become: new Map() },
): Inventory => {
  const hostOrder = Object.keys(raw.hosts);
  return {
    file,
    hosts: Object.entries(raw.hosts).map(([name, host]) => hostOf(name, host, raw, connectionOf(name, host))),
    groups: groupMembers(raw),
    vars: { ...(raw.vars ?? {}) },
    ...(raw.lvs ? { lvs: lvsOf(raw.lvs, hostOrder, secrets) } : {}),
  };
};
