// An Ansible inventory (merged per host) as an lvsplay inventory, with a
// comment on each host saying what was mapped from what and what was not, and
// why. Connection variables become connection settings; settings every host
// shares move to `defaults:`; other variables stay variables; secrets are never
// copied (the inventory names environment variables instead).
import path from "node:path";
import { Document, isMap, isScalar, visit } from "yaml";
import { charsetViolation, NAME } from "../config/charsets.js";
import { quoteInput } from "../errors.js";
import { shellWords } from "./ini.js";
import type { AnsibleHost, AnsibleInventory } from "./load.js";

/** A name lvsplay accepts for hosts and groups (config/charsets.ts). */
const isName = (name: string): boolean => charsetViolation(NAME, name) === "";

import { VaultValue } from "./vars-file.js";

export const ROLES = ["directors", "realservers", "clients"] as const;
export type Role = (typeof ROLES)[number];

export interface ImportOptions {
  /** lvsplay role → Ansible group (`--map directors=lvs_directors`). */
  readonly roles?: Readonly<Partial<Record<Role, string>>>;
  /** As typed on the command line, for the header. */
  readonly command?: string;
}

interface Connection {
  address?: string;
  port?: number;
  user?: string;
  identity?: string;
  become?: boolean;
  jump?: string;
}

interface MappedHost {
  readonly name: string;
  readonly connection: Connection;
  readonly groups: string[];
  readonly vars: Record<string, unknown>;
  readonly mapped: string[];
  readonly notMapped: string[];
}

/** Variables with no meaning for lvsplay (Python, facts gathering, …). */
const ANSIBLE_ONLY =
  /^ansible_(python_interpreter|shell_type|shell_executable|facts?_.*|pipelining|ssh_pipelining|timeout|ssh_retries|ssh_executable|scp_.*|sftp_.*|ssh_transfer_method|remote_tmp|host_key_checking|ssh_args)$/;
const SECRET = /^ansible_(become_pass(word)?|sudo_pass(word)?|ssh_pass|password|become_exe_password)$/;
/** Ansible's boolean forms (true, "yes", "on", 1, …); undefined for anything else. */
function ansibleBoolean(value: unknown): boolean | undefined {
  if (typeof value === "boolean") return value;
  const text = String(value).toLowerCase();
  if (["true", "yes", "on", "1", "y"].includes(text)) return true;
  if (["false", "no", "off", "0", "n"].includes(text)) return false;
  return undefined;
}

const isIPv4 = (v: string) =>
  /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/.test(v);
const validAddress = (v: string) =>
  /^(?=.{1,253}$)[A-Za-z0-9][A-Za-z0-9._-]*$/.test(v) && (!/^[0-9.]+$/.test(v) || isIPv4(v));

/** The jump host in ssh args: -J x, -o ProxyJump=x, or a ProxyCommand of the `ssh -W %h:%p x` kind. */
export function jumpFromSshArgs(args: string): { jump?: string; other: string[] } {
  const words = shellWords(args, "ansible_ssh_common_args");
  const other: string[] = [];
  let jump: string | undefined;
  for (let i = 0; i < words.length; i++) {
    const w = words[i] ?? "";
    const option = w === "-o" ? (words[++i] ?? "") : w.startsWith("-o") ? w.slice(2) : undefined;
    if (w === "-J") jump = words[++i];
    else if (option !== undefined) {
      const [key = "", ...rest] = option.split(/[= ]/);
      const value = rest.join(" ").trim();
      if (/^proxyjump$/i.test(key)) jump = value;
      else if (/^proxycommand$/i.test(key)) {
        const cmd = shellWords(value, "ProxyCommand");
        const target =
          cmd[0] === "ssh" && cmd.includes("-W")
            ? cmd
                .filter(
                  (c, j) =>
                    j > 0 &&
                    !c.startsWith("-") &&
                    cmd[j - 1] !== "-W" &&
                    cmd[j - 1] !== "-p" &&
                    cmd[j - 1] !== "-i" &&
                    cmd[j - 1] !== "-l",
                )
                .at(-1)
            : undefined;
        if (target !== undefined) jump = target;
        else other.push(`-o ProxyCommand=${value}`);
      } else other.push(`-o ${option}`);
    } else other.push(w);
  }
  return { ...(jump === undefined ? {} : { jump }), other };
}

function mapHost(
  host: AnsibleHost,
  inv: AnsibleInventory,
  options: ImportOptions,
): MappedHost | { skipped: string } {
  const v = host.vars;
  const mapped: string[] = [];
  const notMapped: string[] = [];
  const connection: Connection = {};
  const connType = v["ansible_connection"];
  if (connType !== undefined && !["ssh", "smart", "paramiko", "paramiko_ssh"].includes(String(connType)))
    return { skipped: `ansible_connection: ${String(connType)} (lvsplay reaches hosts over SSH only)` };
  const str = (key: string) => {
    const value = v[key];
    return value === undefined || value === null ? undefined : String(value);
  };
  const address = str("ansible_host") ?? str("ansible_ssh_host");
  if (address !== undefined) {
    if (validAddress(address)) {
      connection.address = address;
      mapped.push(`${v["ansible_host"] !== undefined ? "ansible_host" : "ansible_ssh_host"} → address`);
    } else notMapped.push(`ansible_host ${JSON.stringify(address)} (not an IPv4 address or host name)`);
  }
  const port = v["ansible_port"] ?? v["ansible_ssh_port"];
  if (port !== undefined) {
    const n = Number(port);
    if (Number.isInteger(n) && n >= 1 && n <= 65535) {
      connection.port = n;
      mapped.push("ansible_port → port");
    } else notMapped.push(`ansible_port ${JSON.stringify(port)} (not a port)`);
  }
  const user = str("ansible_user") ?? str("ansible_ssh_user");
  if (user !== undefined) {
    if (/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(user)) {
      connection.user = user;
      mapped.push("ansible_user → user");
    } else notMapped.push(`ansible_user ${JSON.stringify(user)} (templated or not a user name)`);
  }
  const key = str("ansible_ssh_private_key_file") ?? str("ansible_private_key_file");
  if (key !== undefined) {
    if (!key.includes("{{")) {
      connection.identity = key;
      mapped.push("ansible_ssh_private_key_file → identity");
    } else notMapped.push(`ansible_ssh_private_key_file ${JSON.stringify(key)} (templated)`);
  }
  const become = v["ansible_become"];
  if (become !== undefined) {
    const enabled = ansibleBoolean(become);
    if (enabled !== undefined) {
      connection.become = enabled;
      mapped.push("ansible_become → become.enabled");
    } else notMapped.push(`ansible_become ${JSON.stringify(become)} (not a boolean)`);
  }
  const method = str("ansible_become_method");
  if (method !== undefined && method !== "sudo")
    notMapped.push(`ansible_become_method ${method} (lvsplay escalates with sudo only)`);
  const becomeUser = str("ansible_become_user");
  if (becomeUser !== undefined && becomeUser !== "root")
    notMapped.push(`ansible_become_user ${becomeUser} (lvsplay becomes root)`);
  for (const argsKey of ["ansible_ssh_common_args", "ansible_ssh_extra_args"]) {
    const args = str(argsKey);
    if (args === undefined) continue;
    const { jump, other } = jumpFromSshArgs(args);
    if (jump !== undefined) {
      const hop = jump.includes(",") ? undefined : jump.replace(/^[^@]*@/, "").replace(/:\d+$/, "");
      const target = inv.hosts.find((h) => h.name === hop || h.vars["ansible_host"] === hop);
      if (target && target.name !== host.name && !jump.includes(",")) {
        connection.jump = target.name;
        mapped.push(`${argsKey} jump host ${jump} → jump: ${target.name}`);
      } else
        notMapped.push(
          `${argsKey} jump host ${jump} (not an inventory host: add "ProxyJump ${jump}" for this host to ~/.ssh/config, or the inventory's ssh_config: file)`,
        );
    }
    if (other.some((o) => /StrictHostKeyChecking/i.test(o)))
      notMapped.push(`${argsKey} StrictHostKeyChecking (lvsplay always checks host keys strictly)`);
    const rest = other.filter((o) => !/StrictHostKeyChecking/i.test(o));
    if (rest.length > 0) notMapped.push(`${argsKey} ${rest.join(" ")} (put SSH options in ssh_config)`);
  }
  const vars: Record<string, unknown> = {};
  const ignored: string[] = [];
  for (const [name, value] of Object.entries(v)) {
    if (SECRET.test(name)) {
      notMapped.push(
        name.startsWith("ansible_become") || name.startsWith("ansible_sudo")
          ? `${name} (a secret: not copied; give sudo's password through become.password_env)`
          : `${name} (password login is not supported: use a key or the agent)`,
      );
    } else if (value instanceof VaultValue) notMapped.push(`${name} (vault-encrypted: not copied)`);
    else if (name.startsWith("ansible_")) {
      if (ANSIBLE_ONLY.test(name)) ignored.push(name);
    } else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) vars[name] = value;
    else notMapped.push(`variable ${name} (not a valid lvsplay variable name)`);
  }
  if (ignored.length > 0) notMapped.push(`${ignored.join(", ")} (Ansible-only, ignored)`);
  const roles = ROLES.filter((role) => {
    const group = options.roles?.[role];
    return group !== undefined ? host.groups.includes(group) : host.groups.includes(role);
  });
  const groups = [...roles, ...host.groups.filter((g) => !(ROLES as readonly string[]).includes(g))];
  return { name: host.name, connection, groups, vars, mapped, notMapped };
}

/** The lvsplay inventory as YAML text with comments. */
export function toLvsplayInventory(inv: AnsibleInventory, options: ImportOptions = {}): string {
  for (const [role, group] of Object.entries(options.roles ?? {})) {
    if (group !== undefined && !inv.groups.has(group))
      throw new Error(`--map ${role}=${group}: the Ansible inventory has no group ${group}`);
  }
  const header: string[] = [
    options.command ? `Imported by: ${options.command}` : `Imported from the Ansible inventory ${inv.path}`,
    `Read: ${inv.files.map((f) => path.relative(inv.baseDir, f)).join(", ")}`,
    "Review before use. Connection settings come from ansible_* variables (mapped per host below);",
    "settings shared by every host are in defaults:. Secrets are never copied.",
  ];
  const hosts: MappedHost[] = [];
  const skipped: string[] = [];
  const hostNames = new Set(inv.hosts.map((h) => h.name));
  for (const host of inv.hosts) {
    if (!isName(host.name) || host.name === "all") {
      skipped.push(`${quoteInput(host.name)}: not a valid lvsplay host name (${NAME.rule})`);
      continue;
    }
    const m = mapHost(host, inv, options);
    if ("skipped" in m) skipped.push(`${host.name}: ${m.skipped}`);
    else hosts.push(m);
  }
  const kept = new Set(hosts.map((h) => h.name));
  for (const h of hosts) {
    if (h.connection.jump !== undefined && !kept.has(h.connection.jump)) {
      h.notMapped.push(`jump host ${h.connection.jump} (skipped itself: see the header)`);
      delete h.connection.jump;
    }
    const bad = h.groups.filter((g) => !isName(g) || hostNames.has(g));
    for (const g of bad)
      h.notMapped.push(
        `group ${quoteInput(g)} (${hostNames.has(g) ? "a host has the same name" : "not a valid lvsplay group name"})`,
      );
    h.groups.splice(0, h.groups.length, ...h.groups.filter((g) => !bad.includes(g)));
  }
  if (skipped.length > 0) header.push("Hosts not imported:", ...skipped.map((s) => `  ${s}`));
  const roleCounts = ROLES.map((r) => `${r}: ${hosts.filter((h) => h.groups.includes(r)).length}`);
  header.push(
    `Roles: ${roleCounts.join(", ")}${options.roles ? "" : " (use --map directors=GROUP,… to assign them from Ansible groups)"}`,
  );

  // Settings every host shares go to defaults (connection) and vars (variables).
  const shared = <K extends "user" | "port" | "identity" | "become">(key: K): Connection[K] | undefined => {
    const first = hosts[0]?.connection[key];
    if (hosts.length < 2 || first === undefined || !hosts.every((h) => h.connection[key] === first))
      return undefined;
    for (const h of hosts) delete h.connection[key];
    return first;
  };
  const user = shared("user");
  const port = shared("port");
  const identity = shared("identity");
  const become = shared("become");
  const defaults: Connection = {
    ...(user === undefined ? {} : { user }),
    ...(port === undefined ? {} : { port }),
    ...(identity === undefined ? {} : { identity }),
    ...(become === undefined ? {} : { become }),
  };
  const commonVars: Record<string, unknown> = {};
  const firstVars = hosts[0]?.vars ?? {};
  for (const [name, value] of Object.entries(firstVars)) {
    const same = hosts.every((h) => name in h.vars && JSON.stringify(h.vars[name]) === JSON.stringify(value));
    if (hosts.length > 1 && same) {
      commonVars[name] = value;
      for (const h of hosts) delete h.vars[name];
    }
  }

  const doc: Record<string, unknown> = {};
  const defaultsOut = connectionYaml(defaults);
  if (Object.keys(defaultsOut).length > 0) doc["defaults"] = defaultsOut;
  if (Object.keys(commonVars).length > 0) doc["vars"] = commonVars;
  doc["hosts"] = Object.fromEntries(
    hosts.map((h) => [
      h.name,
      {
        ...connectionYaml(h.connection),
        ...(h.groups.length > 0 ? { groups: h.groups } : {}),
        ...(Object.keys(h.vars).length > 0 ? { vars: h.vars } : {}),
      },
    ]),
  );
  const document = new Document(doc);
  // Short lists and become: one line each, like a hand-written inventory.
  visit(document, {
    Seq: (_, node) => {
      node.flow = true;
    },
    Pair: (_, pair) => {
      if (isScalar(pair.key) && pair.key.value === "become" && isMap(pair.value)) pair.value.flow = true;
    },
  });
  document.commentBefore = header.map((l) => ` ${l}`).join("\n");
  const hostsNode = document.get("hosts", true);
  if (isMap(hostsNode)) {
    for (const pair of hostsNode.items) {
      const key = pair.key;
      if (!isScalar(key)) continue;
      const h = hosts.find((x) => x.name === String(key.value));
      if (!h) continue;
      const lines = [
        ...(h.mapped.length > 0 ? [`mapped: ${h.mapped.join("; ")}`] : []),
        ...h.notMapped.map((n) => `not mapped: ${n}`),
      ];
      if (lines.length > 0) key.commentBefore = lines.map((l) => ` ${l}`).join("\n");
    }
  }
  const lvsHint = [
    "",
    "# lvs: the load-balanced services are not in an Ansible inventory; add them, e.g.:",
    "# lvs:",
    "#   vrrp: { virtual_router_id: 51, order: [DIRECTOR1, DIRECTOR2] }",
    "#   services:",
    "#     - { name: web, vip: VIP, ports: [80] }",
    "",
  ].join("\n");
  return `${document.toString({ flowCollectionPadding: true, lineWidth: 0 })}${lvsHint}`;
}

function connectionYaml(c: Connection): Record<string, unknown> {
  return {
    ...(c.address === undefined ? {} : { address: c.address }),
    ...(c.port === undefined ? {} : { port: c.port }),
    ...(c.user === undefined ? {} : { user: c.user }),
    ...(c.identity === undefined ? {} : { identity: c.identity }),
    ...(c.become === undefined ? {} : { become: { enabled: c.become } }),
    ...(c.jump === undefined ? {} : { jump: c.jump }),
  };
}
