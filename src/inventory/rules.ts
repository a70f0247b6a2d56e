// Semantic rules: things the schema cannot see because they relate several
// parts of the inventory (references between hosts, uniqueness, VRRP
// coverage). Each problem carries the data path it is about; the loader turns
// paths into file:line:col. Runs only on schema-valid data.
import { editDistance } from "../config/suggest.js";
import type { KeyPath } from "../config/yaml-source.js";
import { ROLE_GROUPS } from "./normalise.js";
import { checkConnectionSync } from "./rules-sync.js";
import type { RawInventory, RawService } from "./schema.js";

export interface RuleProblem {
  readonly path: KeyPath;
  readonly message: string;
  /** "key": point at the key itself (e.g. a misnamed map key). */
  readonly target?: "key" | "value";
}

type Report = (path: KeyPath, message: string, target?: "key" | "value") => void;

const DEFAULT_SSH_PORT = 22;

export const checkInventoryRules = (inv: RawInventory): RuleProblem[] => {
  const problems: RuleProblem[] = [];
  const report: Report = (path, message, target) => problems.push({ path, message, target });
  checkHosts(inv, report);
  checkGroupNames(inv, report);
  checkJumps(inv, report);
  checkSecretSources(inv, report);
  if (inv.lvs) {
    const directors = membersOf(inv, "directors");
    if (directors.length === 0)
      report(["lvs"], 'an lvs section needs at least one host in group "directors"');
    else checkVrrp(inv, directors, report);
    checkServices(inv, directors, report);
    const ka = inv.lvs.keepalived;
    if (ka && ka.config === ka.lvsplay_config)
      report(["lvs", "keepalived", "lvsplay_config"], "must differ from lvs.keepalived.config");
    checkConnectionSync(inv, report);
  }
  return problems;
};

/** A password comes from exactly one place (VRRP), at most one place (sudo). */
const checkSecretSources = (inv: RawInventory, report: Report): void => {
  const becomes: [KeyPath, RawInventory["defaults"]][] = [
    [["defaults"], inv.defaults],
    ...Object.entries(inv.hosts).map(([name, h]): [KeyPath, RawInventory["defaults"]] => [
      ["hosts", name],
      h,
    ]),
  ];
  for (const [at, conn] of becomes)
    if (conn?.become?.password_env !== undefined && conn.become.password_file !== undefined)
      report([...at, "become"], "expected at most one of password_env or password_file");
  const auth = inv.lvs?.vrrp.auth;
  if (auth) {
    const given = [auth.password, auth.password_env, auth.password_file].filter(
      (v) => v !== undefined,
    ).length;
    if (given !== 1)
      report(
        ["lvs", "vrrp", "auth"],
        "expected exactly one of password_env (an environment variable), password_file (a file of mode 0600) or password",
      );
  }
};

export const membersOf = (inv: RawInventory, group: string): string[] =>
  Object.entries(inv.hosts)
    .filter(([, host]) => host.groups?.includes(group))
    .map(([name]) => name);

const checkHosts = (inv: RawInventory, report: Report): void => {
  const names = Object.keys(inv.hosts);
  if (names.length === 0) report(["hosts"], "expected at least one host");
  const seen = new Map<string, string>();
  for (const [name, host] of Object.entries(inv.hosts)) {
    if (name === "all")
      report(["hosts", name], '"all" is reserved for the pattern matching every host', "key");
    const port = host.port ?? inv.defaults?.port ?? DEFAULT_SSH_PORT;
    const endpoint = `${host.address ?? name}:${port}`;
    const first = seen.get(endpoint);
    if (first) report(["hosts", name, "address"], `${endpoint} is already used by host ${first}`);
    else seen.set(endpoint, name);
    const groups = host.groups ?? [];
    groups.forEach((group, i) => {
      if (groups.indexOf(group) !== i) report(["hosts", name, "groups", i], `group ${group} is listed twice`);
    });
  }
};

/** Groups and hosts share one namespace in host patterns, so a clash would be ambiguous. */
const checkGroupNames = (inv: RawInventory, report: Report): void => {
  for (const group of Object.keys(inv.groups ?? {})) {
    if (group === "all")
      report(["groups", group], '"all" is reserved for the pattern matching every host', "key");
    else if (group in inv.hosts)
      report(["groups", group], `group ${group} has the same name as a host`, "key");
  }
  for (const [name, host] of Object.entries(inv.hosts)) {
    (host.groups ?? []).forEach((group, i) => {
      if (group === "all") report(["hosts", name, "groups", i], '"all" is reserved and cannot be a group');
      else if (group in inv.hosts)
        report(["hosts", name, "groups", i], `group ${group} has the same name as a host`);
      else {
        const role = misspeltRole(group, inv);
        if (role)
          report(
            ["hosts", name, "groups", i],
            `group ${group} is not a role and has no definition under groups:; did you mean "${role}"? (a host outside the role is silently left out of the pool; define the group to keep this name)`,
          );
      }
    });
  }
};

/**
 * A group one edit away from a role ("realserver", "Directors") that is not
 * defined under `groups:` is almost certainly a typo for the role.
 */
const misspeltRole = (group: string, inv: RawInventory): string | undefined => {
  if ((ROLE_GROUPS as readonly string[]).includes(group) || group in (inv.groups ?? {})) return undefined;
  return ROLE_GROUPS.find((role) => editDistance(group.toLowerCase(), role) <= 1);
};

const checkJumps = (inv: RawInventory, report: Report): void => {
  const reportedCycles = new Set<string>();
  for (const [name, host] of Object.entries(inv.hosts)) {
    if (host.jump === undefined) continue;
    if (!(host.jump in inv.hosts)) {
      report(["hosts", name, "jump"], `jump host ${host.jump} is not a host of this inventory`);
      continue;
    }
    const chain = [name];
    let next: string | undefined = host.jump;
    while (next !== undefined && next in inv.hosts && !chain.includes(next)) {
      chain.push(next);
      next = inv.hosts[next]?.jump;
    }
    if (next === undefined || !chain.includes(next)) continue;
    const cycle = chain.slice(chain.indexOf(next));
    const key = [...cycle].sort().join(",");
    if (next !== name || reportedCycles.has(key)) continue;
    reportedCycles.add(key);
    report(["hosts", name, "jump"], `jump cycle: ${[...cycle, next].join(" → ")}`);
  }
};

const checkVrrp = (inv: RawInventory, directors: readonly string[], report: Report): void => {
  const vrrp = inv.lvs!.vrrp;
  if ((vrrp.order === undefined) === (vrrp.priorities === undefined)) {
    report(
      ["lvs", "vrrp"],
      "expected exactly one of order (list of directors) or priorities (director: priority)",
    );
    return;
  }
  const named: string[] = [];
  const checkName = (name: string, path: KeyPath, target?: "key") => {
    if (!(name in inv.hosts)) report(path, `${name} is not a host of this inventory`, target);
    else if (!directors.includes(name)) report(path, `${name} is not in group directors`, target);
    else if (named.includes(name)) report(path, `${name} is listed twice`, target);
    named.push(name);
  };
  if (vrrp.order) {
    for (const [i, name] of vrrp.order.entries()) checkName(name, ["lvs", "vrrp", "order", i]);
  } else
    for (const name of Object.keys(vrrp.priorities ?? {}))
      checkName(name, ["lvs", "vrrp", "priorities", name], "key");
  const missing = directors.filter((d) => !named.includes(d));
  const field = vrrp.order ? "order" : "priorities";
  if (missing.length > 0)
    report(["lvs", "vrrp", field], `must name every director; missing: ${missing.join(", ")}`);
  checkHooks(inv, directors, report);
};

/** per_director names directors; a list of track scripts or interfaces names each one once. */
const checkHooks = (inv: RawInventory, directors: readonly string[], report: Report): void => {
  const vrrp = inv.lvs!.vrrp;
  type Hooks = Pick<typeof vrrp, "track_scripts" | "track_interfaces">;
  const lists: [KeyPath, Hooks][] = [[["lvs", "vrrp"], vrrp]];
  for (const [name, hooks] of Object.entries(vrrp.per_director ?? {})) {
    const at: KeyPath = ["lvs", "vrrp", "per_director", name];
    if (!(name in inv.hosts)) report(at, `${name} is not a host of this inventory`, "key");
    else if (!directors.includes(name)) report(at, `${name} is not in group directors`, "key");
    lists.push([at, hooks]);
  }
  for (const [at, hooks] of lists) {
    const once = (names: readonly string[], key: string) =>
      names.forEach((n, i) => {
        if (names.indexOf(n) !== i) report([...at, key, i], `${n} is listed twice`);
      });
    once(
      (hooks.track_scripts ?? []).map((t) => t.name),
      "track_scripts",
    );
    once(
      (hooks.track_interfaces ?? []).map((t) => t.name),
      "track_interfaces",
    );
  }
};

const servicePorts = (service: RawService): number[] =>
  service.ports ?? (service.port === undefined ? [] : [service.port]);

const checkServices = (inv: RawInventory, directors: readonly string[], report: Report): void => {
  const services = inv.lvs!.services;
  const names = new Map<string, number>();
  const endpoints = new Map<string, { name: string; index: number }>();
  const marksByDirector = new Map<string, Map<number, string>>();
  // Addresses a VIP must not take: every host's SSH address and data-plane address.
  const hostByAddress = new Map<string, string>();
  for (const [name, h] of Object.entries(inv.hosts)) {
    if (h.data_address !== undefined && !hostByAddress.has(h.data_address))
      hostByAddress.set(h.data_address, `the data_address of host ${name}`);
    hostByAddress.set(h.address ?? name, `the address of host ${name}`);
  }
  services.forEach((service, i) => {
    const at = (...rest: PropertyKey[]): KeyPath => ["lvs", "services", i, ...rest];
    const firstIndex = names.get(service.name);
    if (firstIndex !== undefined)
      report(at("name"), `service name ${service.name} is already used by services[${firstIndex}]`);
    else names.set(service.name, i);

    const owner = hostByAddress.get(service.vip);
    if (owner) report(at("vip"), `VIP ${service.vip} is ${owner}; a VIP must be a separate address`);

    if ((service.ports === undefined) === (service.port === undefined))
      report(at(), "expected exactly one of port (a number) or ports (a list)");

    // HTTP_GET against the UDP port itself can never pass: keepalived would remove
    // every real server. (A tcp check of a UDP service's port is rendered as UDP_CHECK.)
    const check = service.health_check;
    const checkPort = check?.port ?? servicePorts(service)[0];
    if (
      service.protocol === "udp" &&
      check?.kind === "http" &&
      servicePorts(service).includes(checkPort ?? -1)
    )
      report(
        at("health_check", "kind"),
        `an http check cannot probe the UDP port ${checkPort}; give the check a TCP health port (port: …) or use kind: tcp (UDP_CHECK)`,
      );
    servicePorts(service).forEach((port, j) => {
      const path = service.ports ? at("ports", j) : at("port");
      const endpoint = `${service.vip}:${port}/${service.protocol}`;
      const first = endpoints.get(endpoint);
      if (first?.index === i) report(path, `port ${port} is listed twice`);
      else if (first) report(path, `${endpoint} is already served by service ${first.name}`);
      else endpoints.set(endpoint, { name: service.name, index: i });
    });

    for (const [director, mark] of Object.entries(service.fwmarks ?? {})) {
      const path = at("fwmarks", director);
      if (!(director in inv.hosts)) report(path, `${director} is not a host of this inventory`, "key");
      else if (!directors.includes(director)) report(path, `${director} is not in group directors`, "key");
      else {
        const marks = marksByDirector.get(director) ?? new Map<number, string>();
        const other = marks.get(mark);
        if (other)
          report(
            at("fwmarks", director),
            `fwmark ${mark} on ${director} is already pinned by service ${other}`,
          );
        marks.set(mark, service.name);
        marksByDirector.set(director, marks);
      }
    }
    for (const host of Object.keys(service.weights ?? {})) {
      if (!(host in inv.hosts)) report(at("weights", host), `${host} is not a host of this inventory`, "key");
    }
  });
};
