// Opens one SSH connection per inventory host per run (reused by every stage),
// with strict known_hosts checking, key file or agent authentication and
// optional tunnelling through a jump host.
import { type Config, NodeSSH } from "node-ssh";
import type { Channel } from "ssh2";
import type { Host, Inventory } from "../inventory/model.js";
import { errorMessage } from "../util/error-message.js";
import { createHostVerification } from "./host-verifier.js";
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

/** Seconds between keepalives; three missed ones mark the connection dead. */
const KEEPALIVE_SEC = 15;

export class SshConnector implements Connector {
  private readonly hosts: ReadonlyMap<string, Host>;
  private readonly open = new Map<string, Promise<SshTransport>>();
  /** Every connection opened per host (for connectionStats). */
  private readonly opened = new Map<string, unknown[]>();

  constructor(
    inventory: Inventory,
    private readonly options: SshConnectorOptions = {},
  ) {
    this.hosts = new Map(inventory.hosts.map((h) => [h.name, h]));
  }

  /** The host's transport, opening the connection on first use. */
  async connect(hostName: string): Promise<Transport> {
    const transport = await this.shared(hostName);
    transport.retain();
    return transport;
  }

  /**
   * Transport shared by the engine and tunnelled hosts. The map holds no
   * reference of its own: each caller retains what it uses (closeAll ends the rest).
   */
  private async shared(hostName: string, via: readonly string[] = []): Promise<SshTransport> {
    const existing = this.open.get(hostName);
    if (existing) {
      const transport = await existing;
      if (transport.alive) return transport;
      if (this.open.get(hostName) === existing) this.open.delete(hostName);
      // Someone else may have started reconnecting while we waited.
      return this.shared(hostName, via);
    }
    const opening = this.openTransport(hostName, via);
    this.open.set(hostName, opening);
    opening.catch(() => {
      if (this.open.get(hostName) === opening) this.open.delete(hostName);
    });
    return opening;
  }

  private async openTransport(hostName: string, via: readonly string[]): Promise<SshTransport> {
    const host = this.hosts.get(hostName);
    if (!host) throw new Error(`unknown host ${hostName}`);
    const conn = host.connection;
    const target = `${conn.user}@${conn.address}:${conn.port}`;
    const fail = (reason: string) =>
      new UnreachableError(`cannot connect to host ${hostName} (${target}): ${reason}`);

    let jump: SshTransport | undefined;
    let sock: Channel | undefined;
    if (conn.jump !== undefined) {
      if (via.includes(conn.jump) || conn.jump === hostName)
        throw fail(`jump host loop through ${conn.jump}`);
      try {
        jump = await this.shared(conn.jump, [...via, hostName]);
        sock = await jump.forwardOut(conn.address, conn.port);
      } catch (error) {
        throw fail(`via jump host ${conn.jump}: ${(error as Error).message}`);
      }
      jump.retain(); // kept open as long as this host's connection lives
      sock.on("error", () => {}); // reported through the SSH connection's close
    }
    const releaseJump = () => void jump?.close();

    const verification = createHostVerification({
      hostName,
      address: conn.address,
      port: conn.port,
      knownHostsFile: conn.knownHostsFile,
      acceptNew: this.options.acceptNewHostKeys ?? false,
    });
    const agent = conn.agent ? process.env["SSH_AUTH_SOCK"] : undefined;
    if (conn.identityFile === undefined && agent === undefined) {
      releaseJump();
      throw fail(
        conn.agent ? "SSH agent requested but SSH_AUTH_SOCK is not set" : "no identity file and no agent",
      );
    }
    const config: Config = {
      username: conn.user,
      ...(sock ? { sock } : { host: conn.address, port: conn.port }),
      ...(conn.identityFile !== undefined ? { privateKeyPath: conn.identityFile } : {}),
      ...(agent !== undefined ? { agent } : {}),
      readyTimeout: conn.connectTimeoutSec * 1000,
      keepaliveInterval: KEEPALIVE_SEC * 1000,
      keepaliveCountMax: 3,
      hostVerifier: verification.verify,
      // Straight to the methods configured: ssh2 otherwise opens with a "none"
      // attempt, one more round trip and server-side auth pass per connection.
      authHandler: [
        ...(conn.identityFile !== undefined ? (["publickey"] as const) : []),
        ...(agent !== undefined ? (["agent"] as const) : []),
      ],
      algorithms: { serverHostKey: verification.serverHostKeyAlgorithms as never },
    };

    const ssh = new NodeSSH();
    try {
      await ssh.connect(config);
    } catch (error) {
      ssh.dispose();
      releaseJump();
      throw fail(verification.refusal() ?? describeConnectError(error, conn.identityFile));
    }
    const transport = new SshTransport(ssh, {
      hostName,
      target,
      loginUser: conn.user,
      become: conn.become,
      maxChannels: this.options.maxChannels ?? 8,
      ...(this.options.defaultTimeoutSec !== undefined
        ? { defaultTimeoutSec: this.options.defaultTimeoutSec }
        : {}),
      onGone: releaseJump,
    });
    this.options.onConnect?.(hostName);
    // The ssh2 client, kept because node-ssh forgets it on dispose.
    this.opened.set(hostName, [...(this.opened.get(hostName) ?? []), ssh.connection]);
    return transport;
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

function describeConnectError(error: unknown, identityFile: string | undefined): string {
  const message = errorMessage(error);
  if (message.includes("privateKeyPath does not exist"))
    return `identity file ${identityFile} does not exist`;
  if (message.includes("All configured authentication methods failed")) {
    return `authentication failed (${identityFile !== undefined ? `key ${identityFile}` : "agent"})`;
  }
  if (message.includes("Timed out while waiting for handshake")) return "timed out during the SSH handshake";
  return message;
}
