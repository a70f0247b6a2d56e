// `lvsplay audit --watch`: the drift audit as a loop. Each cycle is the same
// read-only audit as `lvsplay audit` (without client request probes: one
// round trip per host re-reads what drift detection needs) over connections
// kept open between cycles. Results go to /metrics (served here) and to the
// textfile; a line is logged when the outcome changes.
import type { Server } from "node:http";
import type { Inventory } from "../inventory/model.js";
import type { OperationRegistry } from "../operations/registry.js";
import type { Playbook } from "../playbook/model.js";
import { errorMessage } from "../util/error-message.js";
import { auditOnce } from "./audit-once.js";
import { type ListenAddress, serveMetrics } from "./metrics-server.js";
import { writePromFile } from "./prom.js";
import type { AuditReport } from "./report.js";
import { type ClosableConnector, WatchConnector } from "./watch-connector.js";
import { renderWatchMetrics, type WatchHostTotals, type WatchState } from "./watch-metrics.js";

export interface WatchInput {
  readonly inventory: Inventory;
  readonly playbook: Playbook;
  readonly registry: OperationRegistry;
  /** Opens the SSH connections (kept open across cycles). */
  readonly connector: ClosableConnector;
  readonly hosts: readonly string[];
  readonly limit?: string;
  readonly forks: number;
  readonly inventoryFile: string;
  readonly toolVersion: string;
  readonly intervalSec: number;
  readonly promFile?: string;
  readonly listen?: ListenAddress;
  /** One line per event worth a log entry (start, outcome changes, reconnects). */
  readonly log: (line: string) => void;
  /** Aborting ends the watch: a running cycle is cut short, connections and server closed. */
  readonly signal: AbortSignal;
  /** Backoff of a host whose connection attempts fail (default 1 s, doubling, at most 60 s). */
  readonly backoffBaseMs?: number;
}

/** "clean", "drift: ds1 (critical mark-rule-stale-mac)", … — changes of this are logged. */
function outcomeLine(report: AuditReport): string {
  const parts: string[] = [];
  for (const [host, h] of Object.entries(report.hosts)) {
    if (h.status === "clean") continue;
    const what =
      h.status === "drift"
        ? h.drift.map((d) => `${d.severity} ${d.kind}`).join(", ")
        : h.status === "unreachable"
          ? "unreachable"
          : `failed: ${[...h.failedChecks.map((c) => c.name), ...h.errors].join("; ")}`;
    parts.push(`${host} (${what})`);
  }
  const word = report.exitCode === 0 ? "clean" : report.exitCode === 2 ? "drift" : "failed";
  return parts.length === 0 ? word : `${word}: ${parts.join(", ")}`;
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted || ms <= 0) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });

export async function watchAudits(input: WatchInput): Promise<void> {
  const connector = new WatchConnector(input.connector, {
    ...(input.backoffBaseMs !== undefined ? { backoffBaseMs: input.backoffBaseMs } : {}),
  });
  const totals = new Map<string, WatchHostTotals>(
    input.hosts.map((h) => [
      h,
      { connections: 0, reconnects: 0, bytesSent: 0, bytesReceived: 0, roundTrips: 0, failures: 0 },
    ]),
  );
  let state: WatchState = { intervalSec: input.intervalSec, cycles: 0, cpuSeconds: 0, hosts: {} };
  const snapshotHosts = () => Object.fromEntries(totals);
  state = { ...state, hosts: snapshotHosts() };

  let server: Server | undefined;
  if (input.listen) {
    server = await serveMetrics(input.listen, () => renderWatchMetrics(state));
    const a = server.address();
    const where =
      a && typeof a === "object" ? `${a.family === "IPv6" ? `[${a.address}]` : a.address}:${a.port}` : "";
    input.log(`serving metrics on http://${where}/metrics`);
  }
  // A cycle cut short by the abort closes every connection: its in-flight reads fail at once.
  const onAbort = () => void input.connector.closeAll();
  input.signal.addEventListener("abort", onAbort, { once: true });
  input.log(
    `watching ${input.hosts.length} host(s) every ${input.intervalSec} s (read-only; one round trip per host per cycle)`,
  );

  let lastOutcome: string | undefined;
  let lastSuccessSec: number | undefined;
  try {
    while (!input.signal.aborted) {
      const started = Date.now();
      const cpuBefore = process.cpuUsage();
      let report: AuditReport;
      try {
        ({ report } = await auditOnce({
          inventory: input.inventory,
          playbook: input.playbook,
          registry: input.registry,
          connector,
          hosts: input.hosts,
          ...(input.limit !== undefined ? { limit: input.limit } : {}),
          forks: input.forks,
          inventoryFile: input.inventoryFile,
          toolVersion: input.toolVersion,
          probes: false,
        }));
      } catch (error) {
        if (input.signal.aborted) break;
        input.log(`cycle failed: ${errorMessage(error)}`);
        await sleep(started + input.intervalSec * 1000 - Date.now(), input.signal);
        continue;
      }
      if (input.signal.aborted) break; // cut short: its result is not the hosts' state
      const cpu = process.cpuUsage(cpuBefore);
      for (const host of input.hosts) {
        const before = totals.get(host)!;
        const stats = connector.connectionStats(host);
        const health = connector.health(host);
        totals.set(host, {
          connections: stats?.connections ?? before.connections,
          reconnects: health.reconnects,
          failures: health.failures,
          bytesSent: stats?.bytesSent ?? before.bytesSent,
          bytesReceived: stats?.bytesReceived ?? before.bytesReceived,
          roundTrips: before.roundTrips + (report.cost[host]?.commands ?? 0),
        });
        if (health.reconnects > before.reconnects) input.log(`${host}: reconnected`);
      }
      if (report.exitCode === 0) lastSuccessSec = Date.parse(report.generatedAt) / 1000;
      state = {
        intervalSec: input.intervalSec,
        cycles: state.cycles + 1,
        cpuSeconds: state.cpuSeconds + (cpu.user + cpu.system) / 1e6,
        lastCycleSeconds: (Date.now() - started) / 1000,
        hosts: snapshotHosts(),
        report,
        ...(lastSuccessSec !== undefined ? { lastSuccessSec } : {}),
      };
      if (input.promFile !== undefined) {
        try {
          writePromFile(input.promFile, report);
        } catch (error) {
          input.log(errorMessage(error));
        }
      }
      const outcome = outcomeLine(report);
      if (outcome !== lastOutcome) input.log(`cycle ${state.cycles}: ${outcome}`);
      lastOutcome = outcome;
      await sleep(started + input.intervalSec * 1000 - Date.now(), input.signal);
    }
  } finally {
    input.signal.removeEventListener("abort", onAbort);
    await connector.closeAll();
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server!.close(() => resolve()));
    }
    input.log(`stopped after ${state.cycles} cycle(s)`);
  }
}
