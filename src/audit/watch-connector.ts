// Connections for `audit --watch`: one SSH connection per host kept open from
// cycle to cycle (a cycle costs one round trip per host, not a handshake), a
// dropped one reopened on the next cycle, and a host that keeps failing tried
// again with exponential backoff instead of every cycle.
import type { Connector, Transport } from "../transport/types.js";
import { UnreachableError } from "../transport/types.js";
import { errorMessage } from "../util/error-message.js";

/** What the SSH connector offers beyond Connector: close everything at the end. */
export interface ClosableConnector extends Connector {
  closeAll(): Promise<void>;
}

interface HostState {
  /** The transport held across cycles (one retained reference). */
  held?: Transport;
  /** Consecutive failed connection attempts. */
  failures: number;
  lastError?: string;
  /** Not before this time (ms) is the next attempt made. */
  nextAttemptMs: number;
  /** Connections opened after the first one (a drop or a failure came before). */
  reconnects: number;
}

export interface WatchConnectorOptions {
  /** First backoff step; doubles per consecutive failure. */
  readonly backoffBaseMs?: number;
  readonly backoffMaxMs?: number;
  readonly now?: () => number;
}

export class WatchConnector implements Connector {
  private readonly hosts = new Map<string, HostState>();
  private readonly baseMs: number;
  private readonly maxMs: number;
  private readonly now: () => number;

  constructor(
    private readonly inner: ClosableConnector,
    options: WatchConnectorOptions = {},
  ) {
    this.baseMs = options.backoffBaseMs ?? 1000;
    this.maxMs = options.backoffMaxMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  private state(host: string): HostState {
    let s = this.hosts.get(host);
    if (!s) {
      s = { failures: 0, nextAttemptMs: 0, reconnects: 0 };
      this.hosts.set(host, s);
    }
    return s;
  }

  /** The host's kept-open transport; the run's close() leaves it open. */
  async connect(host: string): Promise<Transport> {
    const s = this.state(host);
    const wait = s.nextAttemptMs - this.now();
    if (wait > 0)
      throw new UnreachableError(
        `${s.lastError ?? "not connected"} (next attempt in ${Math.ceil(wait / 1000)} s)`,
      );
    let transport: Transport;
    try {
      // The inner connector hands out the live connection, or opens a new one
      // when the held one dropped; each call retains it once more.
      transport = await this.inner.connect(host);
    } catch (error) {
      s.failures++;
      s.lastError = errorMessage(error);
      s.nextAttemptMs = this.now() + Math.min(this.maxMs, this.baseMs * 2 ** (s.failures - 1));
      throw error;
    }
    if (s.held === transport)
      await transport.close(); // drop the extra reference
    else {
      if (s.held !== undefined || s.failures > 0) s.reconnects++;
      await s.held?.close().catch(() => {});
      s.held = transport;
    }
    s.failures = 0;
    s.nextAttemptMs = 0;
    const held = transport;
    return { hostName: held.hostName, run: (command) => held.run(command), close: async () => {} };
  }

  connectionStats(host: string) {
    return this.inner.connectionStats?.(host);
  }

  /** Reconnects so far and whether the host is in backoff now. */
  health(host: string): { reconnects: number; failures: number } {
    const s = this.state(host);
    return { reconnects: s.reconnects, failures: s.failures };
  }

  async closeAll(): Promise<void> {
    this.hosts.clear();
    await this.inner.closeAll();
  }
}
