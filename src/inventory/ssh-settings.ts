// A host's SSH settings the way OpenSSH would compute them: ssh_config is looked
// up with the inventory's `address` (or the host name) as the name given to ssh,
// and every value the inventory sets wins over it. ProxyJump hops are resolved
// through ssh_config themselves (their own HostName, User, Port, keys, and the
// first hop's own ProxyJump), as `ssh -J` does.
import { homedir } from "node:os";
import { isAbsolute, resolve } from "node:path";
import { SSH_HOST, USER } from "../config/charsets.js";
import { type LoadedSshConfig, SshConfigError } from "../transport/ssh-config.js";
import { checked, type SshConfigHost, sshConfigFor } from "../transport/ssh-config-host.js";
import type { BecomeSettings, HostConnection, SshEndpoint, SshHop } from "./model.js";
import type { RawConnection, RawHost } from "./schema.js";

const DEFAULTS = {
  user: "root",
  port: 22,
  connectTimeoutSec: 10,
  /** OpenSSH's UserKnownHostsFile default. */
  knownHosts: ["~/.ssh/known_hosts", "~/.ssh/known_hosts2"],
  /** OpenSSH's default IdentityFile list (ssh(1) -i), tried when nothing names a key. */
  identities: ["id_rsa", "id_ecdsa", "id_ecdsa_sk", "id_ed25519", "id_ed25519_sk", "id_dsa"],
};
/** Hops deep enough for any real bastion chain; deeper means a ProxyJump loop in ssh_config. */
const MAX_JUMP_DEPTH = 8;

/** "~" → home folder; relative → against the inventory file's folder. */
export const resolveUserPath = (path: string, baseDir: string): string => {
  if (path === "~") return homedir();
  if (path.startsWith("~/")) return resolve(homedir(), path.slice(2));
  return isAbsolute(path) ? path : resolve(baseDir, path);
};

export interface SshSettingsContext {
  readonly sshConfig: LoadedSshConfig;
  /** The inventory file's folder (relative key paths). */
  readonly baseDir: string;
}

/** The password itself is added by the loader (inventory/secrets.ts reads it once). */
const mergeBecome = (defaults: RawConnection["become"], host: RawConnection["become"]): BecomeSettings => {
  const enabled = host?.enabled ?? defaults?.enabled ?? false;
  // The host's own password source replaces the defaults' (whichever kind it is).
  const own = host?.password_env !== undefined || host?.password_file !== undefined ? host : defaults;
  return {
    enabled,
    ...(own?.password_env === undefined ? {} : { passwordEnv: own.password_env }),
    ...(own?.password_file === undefined ? {} : { passwordFile: own.password_file }),
  };
};

const defaultIdentities = (): string[] => DEFAULTS.identities.map((f) => resolve(homedir(), ".ssh", f));

/** What the inventory says for every connection of this host, hops included. */
interface InventoryConnection {
  readonly user?: string;
  readonly identity?: string;
  readonly knownHosts?: string;
  readonly passphraseEnv?: string;
  readonly agent?: boolean;
  readonly connectTimeoutSec?: number;
}

/** A host's connection: inventory values, then ssh_config, then defaults. Throws SshConfigError. */
export function connectionOf(
  name: string,
  host: RawHost,
  defaults: RawConnection,
  ctx: SshSettingsContext,
): HostConnection {
  const asked = host.address ?? name;
  const inv: InventoryConnection = {
    ...optional("user", host.user ?? defaults.user),
    ...optional("identity", host.identity ?? defaults.identity),
    ...optional("knownHosts", host.known_hosts ?? defaults.known_hosts),
    ...optional("passphraseEnv", host.identity_passphrase_env ?? defaults.identity_passphrase_env),
    ...optional("agent", host.agent ?? defaults.agent),
    ...optional("connectTimeoutSec", host.connect_timeout ?? defaults.connect_timeout),
  };
  const cfg = sshConfigFor(ctx.sshConfig, asked, inv.user);
  const port = host.port ?? defaults.port ?? cfg.port ?? DEFAULTS.port;
  const proxyJump = host.jump === undefined ? jumpHops(cfg, asked, inv, defaults.user, ctx, 0) : undefined;
  const endpoint = endpointOf(asked, cfg, { ...inv, port }, ctx);
  const fromConfig =
    cfg.hostName !== undefined ||
    cfg.user !== undefined ||
    cfg.port !== undefined ||
    cfg.identityFiles.length > 0 ||
    cfg.proxyJump !== undefined ||
    cfg.hostKeyAlias !== undefined;
  return {
    ...endpoint,
    ...(proxyJump && proxyJump.length > 0 ? { proxyJump } : {}),
    ...(host.jump === undefined ? {} : { jump: host.jump }),
    become: mergeBecome(defaults.become, host.become),
    timeoutScale: host.timeout_scale ?? defaults.timeout_scale ?? 1,
    ...(fromConfig ? { sshConfigHost: asked } : {}),
  };
}

/** Inventory values win; then ssh_config; then defaults. */
function endpointOf(
  asked: string,
  cfg: SshConfigHost,
  inv: InventoryConnection & { readonly port: number },
  ctx: SshSettingsContext,
): Omit<SshEndpoint, "proxyJump"> {
  const identityFiles =
    inv.identity !== undefined
      ? [resolveUserPath(inv.identity, ctx.baseDir)]
      : cfg.identityFiles.length > 0
        ? [...cfg.identityFiles]
        : defaultIdentities();
  const knownHostsFiles =
    inv.knownHosts !== undefined
      ? [resolveUserPath(inv.knownHosts, ctx.baseDir)]
      : (cfg.userKnownHostsFiles ?? DEFAULTS.knownHosts).map((f) => resolveUserPath(f, ctx.baseDir));
  const agent = inv.agent ?? (cfg.identityAgent === "none" ? false : undefined);
  const agentSocket =
    cfg.identityAgent === undefined || cfg.identityAgent === "none" || cfg.identityAgent === "SSH_AUTH_SOCK"
      ? undefined
      : cfg.identityAgent;
  return {
    address: (cfg.hostName ?? asked).toLowerCase(),
    port: inv.port,
    user: inv.user ?? cfg.user ?? DEFAULTS.user,
    identityFiles,
    ...optional("identityPassphraseEnv", inv.passphraseEnv),
    ...optional("identitiesOnly", cfg.identitiesOnly),
    ...optional("agent", agent),
    ...optional("agentSocket", agentSocket),
    knownHostsFiles,
    ...optional("hostKeyAlias", cfg.hostKeyAlias),
    connectTimeoutSec: inv.connectTimeoutSec ?? cfg.connectTimeoutSec ?? DEFAULTS.connectTimeoutSec,
  };
}

/** The ProxyJump hops ssh_config gives `asked`, or undefined; ProxyCommand is refused. */
function jumpHops(
  cfg: SshConfigHost,
  asked: string,
  inv: InventoryConnection,
  defaultUser: string | undefined,
  ctx: SshSettingsContext,
  depth: number,
): SshHop[] | undefined {
  const spec = cfg.proxyJump;
  if (spec === undefined || spec.toLowerCase() === "none") {
    if (cfg.proxyCommand !== undefined && cfg.proxyCommand.toLowerCase() !== "none") {
      throw new SshConfigError(
        `ssh_config gives ${asked} a ProxyCommand (${cfg.proxyCommand}); lvsplay speaks SSH itself and ` +
          "cannot run proxy commands: use ProxyJump (or the inventory's jump:) instead",
      );
    }
    return undefined;
  }
  if (depth >= MAX_JUMP_DEPTH) {
    throw new SshConfigError(
      `ssh_config ProxyJump chain for ${asked} is deeper than ${MAX_JUMP_DEPTH} hops (a loop?)`,
    );
  }
  const hops: SshHop[] = [];
  spec.split(",").forEach((one, i) => {
    const parsed = parseJumpSpec(one.trim(), asked);
    const hopCfg = sshConfigFor(ctx.sshConfig, parsed.host, parsed.user);
    // Only the first hop follows its own ProxyJump: ssh -J a,b reaches b through a, whatever b's config says.
    const before = i === 0 ? jumpHops(hopCfg, parsed.host, inv, defaultUser, ctx, depth + 1) : undefined;
    const hopInv: InventoryConnection & { port: number } = {
      // A hop is not an inventory host: its own spec and ssh_config win, then the inventory's defaults.
      ...optional("user", parsed.user ?? hopCfg.user ?? defaultUser),
      ...(hopCfg.identityFiles.length > 0 ? {} : optional("identity", inv.identity)),
      ...(hopCfg.userKnownHostsFiles ? {} : optional("knownHosts", inv.knownHosts)),
      ...optional("passphraseEnv", inv.passphraseEnv),
      ...optional("agent", inv.agent),
      ...optional("connectTimeoutSec", hopCfg.connectTimeoutSec ?? inv.connectTimeoutSec),
      port: parsed.port ?? hopCfg.port ?? DEFAULTS.port,
    };
    hops.push(...(before ?? []));
    hops.push({ spec: one.trim(), ...endpointOf(parsed.host, hopCfg, hopInv, ctx) });
  });
  return hops;
}

/** `[user@]host[:port]` or `ssh://[user@]host[:port]` (ssh(1) -J). */
export function parseJumpSpec(
  spec: string,
  forHost: string,
): { readonly host: string; readonly user?: string; readonly port?: number } {
  const m = /^(?:ssh:\/\/)?(?:([^@\s]+)@)?(\[[^\]]+\]|[^:@\s/]+)(?::(\d+))?\/?$/.exec(spec);
  const host = m?.[2]?.replace(/^\[|\]$/g, "");
  const port = m?.[3] === undefined ? undefined : Number(m[3]);
  if (!m || !host || (port !== undefined && (port < 1 || port > 65535))) {
    throw new SshConfigError(
      `ssh_config ProxyJump for ${forHost}: cannot read jump host "${spec}" (expected [user@]host[:port])`,
    );
  }
  const where = `ssh_config ProxyJump for ${forHost}: jump host "${spec}"`;
  return {
    host: checked(SSH_HOST, host, where),
    ...optional("user", m[1] === undefined ? undefined : checked(USER, m[1], where)),
    ...optional("port", port),
  };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return value === undefined ? {} : ({ [key]: value } as { [P in K]?: V });
}
