// What a run cost, per host: connections opened, remote commands (round trips)
// per stage, bytes on the wire. Reported with the run's end event (--json) so
// benchmarks and operators can see that a no-op run stays cheap.
import type { Command, CommandResult, Transport } from "../transport/types.js";

export interface HostRunStats {
  /** SSH connections opened to this host during the run (1 is the design). */
  connections: number;
  /** Remote commands run (each one round trip), in total and per stage. */
  commands: number;
  commandsByStage: Record<string, number>;
  /** Bytes written to / read from the host's socket, SSH framing and handshake included. */
  bytesSent: number;
  bytesReceived: number;
}

export type RunStats = Record<string, HostRunStats>;

/** Connection-level numbers a connector can report (SSH does; local test transports may not). */
export interface ConnectionStats {
  readonly connections: number;
  readonly bytesSent: number;
  readonly bytesReceived: number;
}

export class RunStatsRecorder {
  private readonly hosts = new Map<string, HostRunStats>();
  private readonly stageOf = new Map<string, string>();

  private entry(host: string): HostRunStats {
    let e = this.hosts.get(host);
    if (!e) {
      e = { connections: 0, commands: 0, commandsByStage: {}, bytesSent: 0, bytesReceived: 0 };
      this.hosts.set(host, e);
    }
    return e;
  }

  /** A host runs one stage at a time: its commands count towards that stage. */
  enterStage(host: string, stage: string): void {
    this.stageOf.set(host, stage);
    this.entry(host);
  }

  /** Wraps a host's transport so every command it runs is counted. */
  counting(transport: Transport): Transport {
    const host = transport.hostName;
    return {
      hostName: host,
      run: (command: Command): Promise<CommandResult> => {
        const e = this.entry(host);
        const stage = this.stageOf.get(host) ?? "(none)";
        e.commands++;
        e.commandsByStage[stage] = (e.commandsByStage[stage] ?? 0) + 1;
        return transport.run(command);
      },
      ...(transport.hold
        ? {
            hold: (command: Command, ready: string) => {
              const e = this.entry(host);
              e.commands++;
              e.commandsByStage["(lock)"] = (e.commandsByStage["(lock)"] ?? 0) + 1;
              return transport.hold!(command, ready);
            },
          }
        : {}),
      close: () => transport.close(),
    };
  }

  snapshot(connections?: (host: string) => ConnectionStats | undefined): RunStats {
    const out: RunStats = {};
    for (const [host, e] of this.hosts) {
      const c = connections?.(host);
      out[host] = { ...e, commandsByStage: { ...e.commandsByStage }, ...(c ?? {}) };
    }
    return out;
  }
}
