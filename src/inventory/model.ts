// The validated, normalised inventory. The loader (inventory/load.ts) turns YAML
// into this shape; everything downstream works only with these types.

export type Role = "directors" | "realservers" | "clients";

export interface BecomeSettings {
  /** Escalate with sudo for commands that need root. */
  readonly enabled: boolean;
  /** Environment variable holding the sudo password; absent → `sudo -n` (never prompts). */
  readonly passwordEnv?: string;
}

export interface HostConnection {
  readonly address: string;
  readonly port: number;
  readonly user: string;
  /** Private key path (already resolved against the inventory file's folder). */
  readonly identityFile?: string;
  /** Use the SSH agent ($SSH_AUTH_SOCK) instead of / in addition to a key file. */
  readonly agent: boolean;
  /** Name of another inventory host to tunnel through. */
  readonly jump?: string;
  /** known_hosts file used for strict host key checking. */
  readonly knownHostsFile: string;
  readonly become: BecomeSettings;
  /** Seconds to wait for the TCP/SSH handshake. */
  readonly connectTimeoutSec: number;
}

export interface Host {
  readonly name: string;
  readonly connection: HostConnection;
  /** Every group the host is in, roles included, in inventory order. */
  readonly groups: readonly string[];
  /**
   * Address on the data plane (what real-server lines and probes use) when the
   * SSH address is a management or forwarded address; defaults to the SSH address.
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

export interface VrrpSettings {
  readonly virtualRouterId: number;
  /** Director names, highest priority first (from `order`, or sorted `priorities`). */
  readonly order: readonly string[];
  /** Priority per director. */
  readonly priorities: Readonly<Record<string, number>>;
  readonly advertIntSec: number;
  readonly auth?: { readonly type: "PASS" | "AH"; readonly password: string };
  /** Unicast peers instead of multicast: each director lists the others' addresses. */
  readonly unicast: boolean;
  readonly nopreempt: boolean;
}

export type PersistenceBackend = "auto" | "iptables" | "firewalld";

export interface LvsModel {
  readonly services: readonly Service[];
  readonly vrrp: VrrpSettings;
  readonly persistence: PersistenceBackend;
  /** Lab concession: keepalived runs VRRP only (kernel without IPVS). Never for production. */
  readonly vrrpOnly: boolean;
  /** Explicit, loud override that lets a director also serve VIP:port (the looping layout). */
  readonly allowLoopingLayout: boolean;
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
