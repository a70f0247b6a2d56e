// What ssh_config says for one host, as typed values. The per-host computation
// (Host/Match sections, first value wins, IdentityFile accumulates) is the
// `ssh-config` package's; this module adds `%` tokens and `~`, checks and types.
// Which files are read and their Include lines: ssh-config.ts.
import { homedir, hostname, userInfo } from "node:os";
import { type Charset, charsetMessage, SSH_HOST, USER } from "../config/charsets.js";
import { expandHome, type LoadedSshConfig, parsedFor, SshConfigError, splitArgs } from "./ssh-config.js";

/** What ssh_config says for one host; absent = not set (the caller applies inventory values and defaults). */
export interface SshConfigHost {
  readonly hostName?: string;
  readonly user?: string;
  readonly port?: number;
  /** Expanded paths, in order. */
  readonly identityFiles: readonly string[];
  readonly identitiesOnly?: boolean;
  /** `none`, a socket path, or SSH_AUTH_SOCK. */
  readonly identityAgent?: string;
  /** The ProxyJump in effect (never "none"): it came before any ProxyCommand. */
  readonly proxyJump?: string;
  /** The ProxyCommand in effect (never "none"): it came before any ProxyJump. */
  readonly proxyCommand?: string;
  readonly hostKeyAlias?: string;
  readonly userKnownHostsFiles?: readonly string[];
  readonly connectTimeoutSec?: number;
}

/** Values computed for `alias` (the name as given to ssh: an inventory address or host name). */
export function sshConfigFor(loaded: LoadedSshConfig, alias: string, user?: string): SshConfigHost {
  // `Match exec` would run a local command for every host: not evaluated (never matches).
  const values = parsedFor(loaded, alias).compute(
    user === undefined ? { Host: alias } : { Host: alias, User: user },
    {
      ignoreCase: true,
      matchExec: false,
    },
  );
  const one = (key: string): string | undefined => {
    const value = values[key];
    const first = Array.isArray(value) ? value[0] : value;
    return first === undefined ? undefined : unquote(first);
  };
  const list = (key: string): string[] => {
    const value = values[key];
    return value === undefined ? [] : (Array.isArray(value) ? value : [value]).flatMap(splitArgs);
  };
  const where = `ssh_config (${loaded.roots.join(", ") || "none"}), host ${alias}`;
  const hostNameRaw = one("hostname");
  const hostName =
    hostNameRaw === undefined
      ? undefined
      : checked(
          SSH_HOST,
          expandTokens(hostNameRaw, { h: alias, "%": "%" }, `${where}: HostName`),
          `${where}: HostName`,
        ).toLowerCase();
  const portText = one("port");
  const port = portText === undefined ? undefined : parsePort(portText, `${where}: Port`);
  const configUser = one("user");
  const remoteUser =
    user ?? (configUser === undefined ? undefined : checked(USER, configUser, `${where}: User`));
  const tokens = pathTokens({ alias, hostName: hostName ?? alias, port: port ?? 22, user: remoteUser });
  const expandPath = (value: string, what: string) =>
    expandHome(expandTokens(value, tokens, `${where}: ${what}`));
  const timeout = one("connecttimeout");
  const knownHosts = list("userknownhostsfile");
  const agent = one("identityagent");
  const settings: SshConfigHost = {
    ...(hostName === undefined ? {} : { hostName }),
    // A user passed in (the inventory's) is what compute() starts from: not ssh_config's value.
    ...(user !== undefined || remoteUser === undefined ? {} : { user: remoteUser }),
    ...(port === undefined ? {} : { port }),
    identityFiles: list("identityfile")
      .filter((f) => f.toLowerCase() !== "none")
      .map((f) => expandPath(f, "IdentityFile")),
    ...yesNo(one("identitiesonly"), "identitiesOnly", `${where}: IdentitiesOnly`),
    ...(agent === undefined
      ? {}
      : {
          identityAgent:
            agent === "none" || agent === "SSH_AUTH_SOCK" ? agent : expandPath(agent, "IdentityAgent"),
        }),
    ...proxyOf(values),
    ...optional("hostKeyAlias", one("hostkeyalias")?.toLowerCase()),
    ...(knownHosts.length === 0
      ? {}
      : { userKnownHostsFiles: knownHosts.map((f) => expandPath(f, "UserKnownHostsFile")) }),
    ...(timeout === undefined || timeout === "none"
      ? {}
      : { connectTimeoutSec: parsePositive(timeout, `${where}: ConnectTimeout`) }),
  };
  return settings;
}

/**
 * ProxyJump and ProxyCommand exclude each other and the first one set wins, as
 * in ssh; "ProxyJump none" does not count as set (a later ProxyCommand applies).
 * compute() keeps keys in the order they were first set.
 */
function proxyOf(values: Record<string, string | string[]>): { proxyJump?: string; proxyCommand?: string } {
  const keys = Object.keys(values);
  const first = (key: string) => {
    const v = values[key];
    return v === undefined ? undefined : unquote(Array.isArray(v) ? v.join(" ") : v);
  };
  const jump = first("proxyjump");
  const command = first("proxycommand");
  const jumpSet = jump !== undefined && jump.toLowerCase() !== "none";
  if (jumpSet && (command === undefined || keys.indexOf("proxyjump") < keys.indexOf("proxycommand")))
    return { proxyJump: jump };
  if (command !== undefined && command.toLowerCase() !== "none") return { proxyCommand: command };
  return {};
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return value === undefined ? {} : ({ [key]: value } as { [P in K]?: string });
}

function yesNo(
  value: string | undefined,
  key: "identitiesOnly",
  where: string,
): { identitiesOnly?: boolean } {
  if (value === undefined) return {};
  const v = value.toLowerCase();
  if (v !== "yes" && v !== "no") throw new SshConfigError(`${where}: expected yes or no, got ${value}`);
  return { [key]: v === "yes" };
}

function unquote(value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
}

function parsePort(text: string, where: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 65535)
    throw new SshConfigError(`${where}: expected a port 1-65535, got ${text}`);
  return n;
}

function parsePositive(text: string, where: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1) throw new SshConfigError(`${where}: expected seconds, got ${text}`);
  return n;
}

/** The value when it is in the character set, else an SshConfigError saying why. */
export function checked(charset: Charset, value: string, where: string): string {
  const message = charsetMessage(charset, value);
  if (message !== undefined) throw new SshConfigError(`${where}: ${message}, found ${JSON.stringify(value)}`);
  return value;
}

/** The `%` tokens ssh expands in file names (ssh_config(5) TOKENS). */
function pathTokens(t: { alias: string; hostName: string; port: number; user: string | undefined }) {
  return {
    ...localTokens(),
    h: t.hostName,
    n: t.alias,
    p: String(t.port),
    ...(t.user === undefined ? {} : { r: t.user }),
  } as Record<string, string>;
}

/** The tokens about this machine and user: looked up once per process (userInfo() reads the passwd database). */
let local: Record<string, string> | undefined;
function localTokens(): Record<string, string> {
  local ??= {
    "%": "%",
    d: homedir(),
    u: safeUserName(),
    i: String(process.getuid?.() ?? ""),
    l: hostname().split(".")[0] ?? "",
    L: hostname(),
  };
  return local;
}

function safeUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env["USER"] ?? "";
  }
}

/** `%x` tokens and `${VAR}` environment references; an unknown token is an error, like in ssh. */
export function expandTokens(value: string, tokens: Readonly<Record<string, string>>, where: string): string {
  const withEnv = value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
    const v = process.env[name];
    if (v === undefined) throw new SshConfigError(`${where}: environment variable ${name} is not set`);
    return v;
  });
  return withEnv.replace(/%(.)?/g, (_, token: string | undefined) => {
    const v = token === undefined ? undefined : tokens[token];
    if (v === undefined) throw new SshConfigError(`${where}: unsupported token %${token ?? ""} in ${value}`);
    return v;
  });
}
