// Opens one SSH connection per inventory host per run (reused by every stage),
// with strict known_hosts checking, agent and key file authentication, and
// tunnelling through an inventory jump host or an ssh_config ProxyJump chain
// (each hop opened once per run too).
import { type Config, NodeSSH } from "node-ssh";
import type { Channel } from "ssh2";
import type { BecomeSettings, Host, Inventory, SshEndpoint, SshHop } from "../inventory/model.js";
import { errorMessage } from "../util/error-message.js";
import { createHostVerification, hostKeyLookupName } from "./host-verifier.js";
import { type AuthPlan, planAuthentication } from "./ssh-auth.js";
import { SshTransport } from "./ssh-transport.js";
import { type Connector, type Transport, UnreachableError } from "./types.js";

export interface SshConnectorOptions {
  /** Accept and record keys of hosts missing from known_hosts (never changed keys). */
  readonly acceptNewHostKeys?: boolean;
  /** Channels open at once per connection (sshd's MaxSessions defaults to 10). */
  readonly maxChannels?: number;
  /** Time limit for commands that set none. */
  readonly defaultTimeoutSec?: number;
  /** Called each time an SSH connection is established (tests count them). */
  readonly onConnect?: (hostName: string) => void;
}

/** Seconds between keepalives; KEEPALIVE_MISSED (× the host's timeout_scale) unanswered ones mark the connection dead. */
const KEEPALIVE_SEC = 15;
const KEEPALIVE_MISSED = 3;

export class SshConnector implements Connector {
  private readonly hosts: ReadonlyMap<string, Host>;
  /** Live or opening connections: `host:NAME` for inventory hosts, `hop:…` for ProxyJump hops. */
  private readonly open = new Map<string, Promise<SshTransport>>();
  /** Every connection opened per inventory host (for connectionStats). */
  private readonly opened = new Map<string, unknown[]>();

  constructor(
    inventory: Inventory,
    private readonly options: SshConnectorOptions = {},
  ) {
    this.hosts = new Map(inventory.hosts.map((h) => [h.name, h]));
  }

  /** The host's transport, opening the connection on first use. */
  async connect(hostName: string): Promise<Transport> {
    const transport = await this.sharedHost(hostName);
    transport.retain();
    return transport;
  }

  private sharedHost(hostName: string, via: readonly string[] = []): Promise<SshTransport> {
    return this.shared(`host:${hostName}`, () => this.openHost(hostName, via));
  }

  /**
   * Transport shared by the engine and tunnelled hosts. The map holds no
   * reference of its own: each caller retains what it uses (closeAll ends the rest).
   */
  private async shared(key: string, open: () => Promise<SshTransport>): Promise<SshTransport> {
    const existing = this.open.get(key);
    if (existing) {
      const transport = await existing;
      if (transport.alive) return transport;
      if (this.open.get(key) === existing) this.open.delete(key);
      // Someone else may have started reconnecting while we waited.
      return this.shared(key, open);
    }
    const opening = open();
    this.open.set(key, opening);
    opening.catch(() => {
      if (this.open.get(key) === opening) this.open.delete(key);
    });
    return opening;
  }

  private async openHost(hostName: string, via: readonly string[]): Promise<SshTransport> {
    const host = this.hosts.get(hostName);
    if (!host) throw new Error(`unknown host ${hostName}`);
    const conn = host.connection;
    const fail = failure(`host ${hostName}`, conn);
    let jump: SshTransport | undefined;
    let jumpLabel = "";
    if (conn.jump !== undefined) {
      if (via.includes(conn.jump) || conn.jump === hostName)
        throw fail(`jump host loop through ${conn.jump}`);
      jumpLabel = conn.jump;
      try {
        jump = await this.sharedHost(conn.jump, [...via, hostName]);
      } catch (error) {
        throw fail(`via jump host ${conn.jump}: ${errorMessage(error)}`);
      }
    } else if (conn.proxyJump && conn.proxyJump.length > 0) {
      jumpLabel = `ProxyJump ${conn.proxyJump.map((h) => h.spec).join(",")}`;
      try {
        jump = await this.sharedHops(conn.proxyJump);
      } catch (error) {
        throw fail(`via ${jumpLabel}: ${errorMessage(error)}`);
      }
    }
    const transport = await this.openEndpoint({
      label: hostName,
      endpoint: conn,
      // Resolved once per run; a tunnelled host's name is resolved by its jump host, as ssh -J does.
      dial: conn.resolvedAddress ?? conn.address,
      become: conn.become,
      timeoutScale: conn.timeoutScale,
      ...(jump ? { jump, jumpLabel } : {}),
    });
    this.options.onConnect?.(hostName);
    this.opened.set(hostName, [...(this.opened.get(hostName) ?? []), transport.client]);
    return transport;
  }

  /**
   * The last hop of a ProxyJump chain, each hop tunnelled through the one before.
   * A hop that is an inventory host (same user, address and port) reuses that
   * host's connection: one connection per host per run.
   */
  private async sharedHops(hops: readonly SshHop[]): Promise<SshTransport> {
    let previous: SshTransport | undefined;
    let chain = "";
    for (const hop of hops) {
      chain += `>${hop.user}@${hop.address}:${hop.port}`;
      const inventoryHost = previous === undefined ? this.inventoryHostAt(hop) : undefined;
      const through = previous;
      previous = inventoryHost
        ? await this.sharedHost(inventoryHost)
        : await this.shared(`hop:${chain}`, () =>
            this.openEndpoint({
              label: `jump host ${hop.spec}`,
              endpoint: hop,
              dial: hop.address,
              become: { enabled: false },
              ...(through ? { jump: through, jumpLabel: "the previous jump host" } : {}),
            }).catch((error: unknown) => {
              throw new UnreachableError(`jump host ${hop.spec}: ${errorMessage(error)}`);
            }),
          );
    }
    if (!previous) throw new Error("empty ProxyJump chain");
    return previous;
  }

  private inventoryHostAt(hop: SshHop): string | undefined {
    for (const host of this.hosts.values()) {
      const c = host.connection;
      if (c.user === hop.user && c.address === hop.address && c.port === hop.port && !c.jump && !c.proxyJump)
        return host.name;
    }
    return undefined;
  }

  private async openEndpoint(target: {
    readonly label: string;
    readonly endpoint: SshEndpoint;
    readonly dial: string;
    readonly become: BecomeSettings;
    /** Inventory `timeout_scale` of the host (jump hosts run no commands of ours). */
    readonly timeoutScale?: number;
    readonly jump?: SshTransport;
    readonly jumpLabel?: string;
  }): Promise<SshTransport> {
    const { endpoint: conn, jump } = target;
    const where = `${conn.user}@${conn.address}:${conn.port}`;
    const fail = failure(target.label.startsWith("jump host") ? target.label : `host ${target.label}`, conn);
    let sock: Channel | undefined;
    if (jump) {
      try {
        sock = await jump.forwardOut(conn.address, conn.port);
      } catch (error) {
        throw fail(`via ${target.jumpLabel}: ${errorMessage(error)}`);
      }
      jump.retain(); // kept open as long as this connection lives
      sock.on("error", () => {}); // reported through the SSH connection's close
    }
    const releaseJump = () => void jump?.close();

    let auth: AuthPlan;
    try {
      auth = planAuthentication(conn);
    } catch (error) {
      releaseJump();
      throw fail(errorMessage(error));
    }
    const lookup = hostKeyLookupName(conn);
    let verification: ReturnType<typeof createHostVerification>;
    try {
      verification = createHostVerification({
        who: `${target.label.startsWith("jump host") ? target.label : `host ${target.label}`} (${where})`,
        lookupName: lookup.name,
        ...(lookup.portless === undefined ? {} : { portlessName: lookup.portless }),
        knownHostsFiles: conn.knownHostsFiles,
        acceptNew: this.options.acceptNewHostKeys ?? false,
      });
    } catch (error) {
      releaseJump();
      throw fail(errorMessage(error));
    }
    const config: Config = {
      username: conn.user,
      ...(sock ? { sock } : { host: target.dial, port: conn.port }),
      readyTimeout: conn.connectTimeoutSec * 1000,
      keepaliveInterval: KEEPALIVE_SEC * 1000,
      // A slow host (timeout_scale) may leave sshd unscheduled for longer than 45 s without being gone.
      keepaliveCountMax: KEEPALIVE_MISSED * (target.timeoutScale ?? 1),
      hostVerifier: verification.verify,
      authHandler: auth.authHandler,
      algorithms: { serverHostKey: verification.serverHostKeyAlgorithms as never },
    };

    const ssh = new NodeSSH();
    try {
      await ssh.connect(config);
    } catch (error) {
      ssh.dispose();
      releaseJump();
      throw fail(verification.refusal() ?? describeConnectError(error, auth));
    }
    return new SshTransport(ssh, {
      hostName: target.label,
      target: where,
      loginUser: conn.user,
      become: target.become,
      maxChannels: this.options.maxChannels ?? 8,
      ...(target.timeoutScale !== undefined ? { timeoutScale: target.timeoutScale } : {}),
      ...(this.options.defaultTimeoutSec !== undefined
        ? { defaultTimeoutSec: this.options.defaultTimeoutSec }
        : {}),
      onGone: releaseJump,
    });
  }

  /** Connections opened to the host and bytes on their sockets (still readable after close). */
  connectionStats(hostName: string): { connections: number; bytesSent: number; bytesReceived: number } {
    const all = this.opened.get(hostName) ?? [];
    let bytesSent = 0;
    let bytesReceived = 0;
    for (const client of all) {
      // ssh2 keeps its socket in a private field; a tunnelled connection has a channel there instead.
      const sock = (client as { _sock?: { bytesWritten?: number; bytesRead?: number } } | null)?._sock;
      bytesSent += sock?.bytesWritten ?? 0;
      bytesReceived += sock?.bytesRead ?? 0;
    }
    return { connections: all.length, bytesSent, bytesReceived };
  }

  /** Close every connection still open (end of run, or cleanup after a failure). */
  async closeAll(): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    const settled = await Promise.allSettled(all);
    await Promise.all(
      settled.map(async (s) => {
        if (s.status === "fulfilled") await s.value.shutdown();
      }),
    );
  }
}

/** `cannot connect to host ds1 (admin@10.0.0.5:22): …` */
function failure(who: string, conn: SshEndpoint): (reason: string) => UnreachableError {
  return (reason) =>
    new UnreachableError(`cannot connect to ${who} (${conn.user}@${conn.address}:${conn.port}): ${reason}`);
}

function describeConnectError(error: unknown, auth: AuthPlan): string {
  const message = errorMessage(error);
  if (message.includes("All configured authentication methods failed")) {
    const skipped = auth.skipped.length > 0 ? `; not offered: ${auth.skipped.join("; ")}` : "";
    return `authentication failed (offered: ${auth.offered}${skipped})`;
  }
  if (message.includes("Timed out while waiting for handshake")) return "timed out during the SSH handshake";
  return message;
}
