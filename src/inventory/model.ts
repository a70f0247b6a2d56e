// The validated, normalised inventory. The loader (inventory/load.ts) turns YAML
// into this shape; everything downstream works only with these types.
import type { Secret } from "../config/secret.js";

export type Role = "directors" | "realservers" | "clients";

export interface BecomeSettings {
  /** Escalate with sudo for commands that need root. */
  readonly enabled: boolean;
  /** Environment variable holding the sudo password; absent → `sudo -n` (never prompts). */
  readonly passwordEnv?: string;
  /** File holding the sudo password (mode 0600). */
  readonly passwordFile?: string;
  /** The sudo password, read once at load from passwordEnv or passwordFile. */
  readonly password?: Secret;
}

/** How to reach one SSH server: an inventory host or a ProxyJump hop. */
export interface SshEndpoint {
  /** What ssh dials: ssh_config's HostName for the name given, else the name; an IPv4 address or a DNS name. */
  readonly address: string;
  readonly port: number;
  readonly user: string;
  /**
   * Private keys to offer, in order: the inventory's `identity`, else ssh_config's
   * IdentityFile lines, else OpenSSH's default key files (missing ones are skipped).
   */
  readonly identityFiles: readonly string[];
  /** Environment variable holding the passphrase of encrypted identity files. */
  readonly identityPassphraseEnv?: string;
  /** Offer only the identity files' keys, also through the agent (OpenSSH IdentitiesOnly). */
  readonly identitiesOnly?: boolean;
  /** Use the SSH agent; undefined: when SSH_AUTH_SOCK is set, as OpenSSH does. */
  readonly agent?: boolean;
  /** Agent socket from ssh_config IdentityAgent (instead of $SSH_AUTH_SOCK). */
  readonly agentSocket?: string;
  /** known_hosts files for strict host key checking; keys accepted on request go to the first. */
  readonly knownHostsFiles: readonly string[];
  /** Name looked up in known_hosts instead of `address` (ssh_config HostKeyAlias; no port is added). */
  readonly hostKeyAlias?: string;
  /** Jump hosts from ssh_config ProxyJump, first hop first (they are not inventory hosts). */
  readonly proxyJump?: readonly SshHop[];
  /** Seconds to wait for the TCP/SSH handshake. */
  readonly connectTimeoutSec: number;
}

/** A ProxyJump hop: an endpoint named in ssh_config, resolved through ssh_config itself. */
export interface SshHop extends SshEndpoint {
  /** As written in ProxyJump, for messages: "admin@bastion:2222". */
  readonly spec: string;
}

export interface HostConnection extends SshEndpoint {
  /** Name of another inventory host to tunnel through (wins over ssh_config's ProxyJump). */
  readonly jump?: string;
  readonly become: BecomeSettings;
  /** Multiplies every remote command's time limit (1 unless the host is far slower than usual). */
  readonly timeoutScale: number;
  /** The name looked up in ssh_config, when ssh_config set anything for it (for messages). */
  readonly sshConfigHost?: string;
  /**
   * The IPv4 address a DNS-name `address` resolved to, once per run before any
   * host is contacted; direct connections dial it (tunnelled ones pass the name on).
   */
  readonly resolvedAddress?: string;
}

export interface Host {
  readonly name: string;
  readonly connection: HostConnection;
  /** Every group the host is in, roles included, in inventory order. */
  readonly groups: readonly string[];
  /**
   * Address on the data plane (what real-server lines and probes use) when the
   * SSH address is a management or forwarded address; defaults to the SSH address
   * (its resolved IPv4 address when that is a DNS name, filled in once per run).
   */
  readonly dataAddress?: string;
  /** Data-plane interface when it must be explicit (else discovered from routes). */
  readonly interface?: string;
  /** Variables: inventory vars < group vars (in group order) < host vars. */
  readonly vars: Readonly<Record<string, unknown>>;
}

export type Protocol = "tcp" | "udp";

export type HealthCheck =
  | {
      readonly kind: "tcp";
      readonly connectTimeoutSec: number;
      readonly delayLoopSec: number;
      readonly retry: number;
    }
  | {
      readonly kind: "http";
      readonly path: string;
      readonly statusCode: number;
      readonly connectTimeoutSec: number;
      readonly delayLoopSec: number;
      readonly retry: number;
    };

export interface Service {
  /** Stable identifier, used in rule comments and for deterministic mark allocation. */
  readonly name: string;
  readonly vip: string;
  readonly protocol: Protocol;
  readonly ports: readonly number[];
  /** IPVS scheduler (rr, wrr, lc, wlc, sh, …). */
  readonly scheduler: string;
  readonly forwarding: "dr";
  /** Seconds; 0 or absent → no persistence. */
  readonly persistenceTimeoutSec?: number;
  readonly healthCheck: HealthCheck;
  /** Port the health check connects to; defaults to the first port. */
  readonly checkPort: number;
  /** Pinned fwmarks per director name; the rest are allocated. */
  readonly fwmarks: Readonly<Record<string, number>>;
  /** Real server weight per host name (default 1). */
  readonly weights: Readonly<Record<string, number>>;
}

/** keepalived's notify_master/backup/fault/stop, and `notify` (every change) as "all". */
export type NotifyEvent = "master" | "backup" | "fault" | "stop" | "all";

/** A check keepalived runs (vrrp_script); failing, it puts the director in FAULT or adds its weight. */
export interface TrackScript {
  readonly name: string;
  /** Absolute path, then arguments one space apart. */
  readonly command: string;
  readonly intervalSec: number;
  readonly timeoutSec?: number;
  readonly weight?: number;
  readonly rise?: number;
  readonly fall?: number;
}

/** Failover hooks of a director's VRRP instance. */
export interface VrrpHooks {
  readonly notify: Readonly<Partial<Record<NotifyEvent, string>>>;
  readonly trackInterfaces: readonly { readonly name: string; readonly weight?: number }[];
  readonly trackScripts: readonly TrackScript[];
}

export interface VrrpSettings {
  readonly virtualRouterId: number;
  /** Director names, highest priority first (from `order`, or sorted `priorities`). */
  readonly order: readonly string[];
  /** Priority per director. */
  readonly priorities: Readonly<Record<string, number>>;
  readonly advertIntSec: number;
  readonly auth?: { readonly type: "PASS" | "AH"; readonly password: Secret };
  /** Unicast peers instead of multicast: each director lists the others' addresses. */
  readonly unicast: boolean;
  readonly nopreempt: boolean;
  /** Hooks of every director… */
  readonly hooks: VrrpHooks;
  /** …and what one director sets for itself (notify merges by event, lists replace). */
  readonly hooksByDirector: Readonly<Record<string, Partial<VrrpHooks>>>;
}

export type PersistenceBackend = "auto" | "iptables" | "firewalld" | "nftables";

/** Where lvsplay's keepalived configuration lives and how it joins the host's. */
export interface KeepalivedSettings {
  /** The main file keepalived reads; lvsplay only keeps one include line in it. */
  readonly configPath: string;
  /** lvsplay's own file. */
  readonly ownPath: string;
  /** Replace hand-made blocks that already serve an inventory VIP. */
  readonly adopt: boolean;
}

export interface LvsModel {
  readonly services: readonly Service[];
  readonly vrrp: VrrpSettings;
  readonly persistence: PersistenceBackend;
  readonly keepalived: KeepalivedSettings;
  /** Lab concession: keepalived runs VRRP only (kernel without IPVS). Never for production. */
  readonly vrrpOnly: boolean;
  /** Explicit, loud override that lets a director also serve VIP:port (the looping layout). */
  readonly allowLoopingLayout: boolean;
  /** IPVS connection synchronisation between the directors (one shared fwmark per service). */
  readonly connectionSync: boolean;
  /** keepalived's lvs_sync_daemon `maxlen`: the MASTER's largest sync message in bytes (default: the kernel's, 1500 − 28). */
  readonly connectionSyncMaxlen?: number;
}

export interface Inventory {
  /** Absolute path of the inventory file (for messages and relative paths). */
  readonly file: string;
  readonly hosts: readonly Host[];
  /** Group name → member host names, inventory order. */
  readonly groups: Readonly<Record<string, readonly string[]>>;
  readonly vars: Readonly<Record<string, unknown>>;
  readonly lvs?: LvsModel;
}
