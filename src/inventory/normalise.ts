// Raw (schema-valid, rule-checked) inventory → the Inventory model: merges
// defaults into each host, resolves paths, fills defaults and derives VRRP
// order/priorities.
import { homedir } from "node:os";
import { dirname, isAbsolute, resolve } from "node:path";
import type {
  BecomeSettings,
  HealthCheck,
  Host,
  HostConnection,
  Inventory,
  LvsModel,
  Service,
  VrrpSettings,
} from "./model.js";
import type { RawConnection, RawHost, RawInventory, RawLvs, RawService } from "./schema.js";

export const ROLE_GROUPS = ["directors", "realservers", "clients"] as const;

const CONNECTION_DEFAULTS = {
  user: "root",
  port: 22,
  knownHosts: "~/.ssh/known_hosts",
  connectTimeoutSec: 10,
};

/** "~" → home folder; relative → against the inventory file's folder. */
export const resolveUserPath = (path: string, baseDir: string): string => {
  if (path === "~") return homedir();
  if (path.startsWith("~/")) return resolve(homedir(), path.slice(2));
  return isAbsolute(path) ? path : resolve(baseDir, path);
};

const mergeBecome = (defaults: RawConnection["become"], host: RawConnection["become"]): BecomeSettings => {
  const enabled = host?.enabled ?? defaults?.enabled ?? false;
  const passwordEnv = host?.password_env ?? defaults?.password_env;
  return passwordEnv === undefined ? { enabled } : { enabled, passwordEnv };
};

const connectionOf = (host: RawHost, defaults: RawConnection, baseDir: string): HostConnection => {
  const identity = host.identity ?? defaults.identity;
  return {
    address: host.address,
    port: host.port ?? defaults.port ?? CONNECTION_DEFAULTS.port,
    user: host.user ?? defaults.user ?? CONNECTION_DEFAULTS.user,
    ...(identity === undefined ? {} : { identityFile: resolveUserPath(identity, baseDir) }),
    agent: host.agent ?? defaults.agent ?? false,
    ...(host.jump === undefined ? {} : { jump: host.jump }),
    knownHostsFile: resolveUserPath(
      host.known_hosts ?? defaults.known_hosts ?? CONNECTION_DEFAULTS.knownHosts,
      baseDir,
    ),
    become: mergeBecome(defaults.become, host.become),
    connectTimeoutSec:
      host.connect_timeout ?? defaults.connect_timeout ?? CONNECTION_DEFAULTS.connectTimeoutSec,
  };
};

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

const hostOf = (name: string, host: RawHost, raw: RawInventory, baseDir: string): Host => {
  const groups = host.groups ?? [];
  // Precedence: inventory vars < group vars (in the host's group order) < host vars. Shallow merge.
  const vars: Record<string, unknown> = { ...(raw.vars ?? {}) };
  for (const group of groups) Object.assign(vars, raw.groups?.[group]?.vars ?? {});
  Object.assign(vars, host.vars ?? {});
  return {
    name,
    connection: connectionOf(host, raw.defaults ?? {}, baseDir),
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

const vrrpOf = (raw: RawLvs, hostOrder: readonly string[]): VrrpSettings => {
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
    ...(v.auth ? { auth: { type: v.auth.type, password: v.auth.password } } : {}),
    unicast: v.unicast,
    nopreempt: v.nopreempt,
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

const lvsOf = (raw: RawLvs, hostOrder: readonly string[]): LvsModel => ({
  services: raw.services.map(serviceOf),
  vrrp: vrrpOf(raw, hostOrder),
  persistence: raw.persistence,
  vrrpOnly: raw.vrrp_only,
  allowLoopingLayout: raw.allow_looping_layout,
});

/** `file` should be absolute: relative identity/known_hosts paths resolve against its folder. */
export const normaliseInventory = (raw: RawInventory, file: string): Inventory => {
  const baseDir = dirname(file);
  const hostOrder = Object.keys(raw.hosts);
  return {
    file,
    hosts: Object.entries(raw.hosts).map(([name, host]) => hostOf(name, host, raw, baseDir)),
    groups: groupMembers(raw),
    vars: { ...(raw.vars ?? {}) },
    ...(raw.lvs ? { lvs: lvsOf(raw.lvs, hostOrder) } : {}),
  };
};
