// What `audit --watch` serves on /metrics: the audit's own families (the same
// names and labels as the --prom-file textfile, from the last finished cycle)
// plus the watch's counters: cycles, what they cost, reconnects.
import { type Family, renderFamily, renderPromFile } from "./prom.js";
import type { AuditReport } from "./report.js";

export interface WatchHostTotals {
  /** SSH connections opened to the host since the watch started. */
  readonly connections: number;
  readonly reconnects: number;
  readonly bytesSent: number;
  readonly bytesReceived: number;
  /** Remote commands run (one per cycle when nothing is wrong). */
  readonly roundTrips: number;
  /** Consecutive failed connection attempts now (0: connected). */
  readonly failures: number;
}

export interface WatchState {
  readonly intervalSec: number;
  readonly cycles: number;
  /** Controller CPU (user + system) spent in cycles so far. */
  readonly cpuSeconds: number;
  readonly lastCycleSeconds?: number;
  readonly hosts: Readonly<Record<string, WatchHostTotals>>;
  /** The last finished cycle's report (absent before the first one ends). */
  readonly report?: AuditReport;
  /** When the last cycle without drift or failures finished (unix seconds). */
  readonly lastSuccessSec?: number;
}

const perHost = (
  state: WatchState,
  name: string,
  help: string,
  type: "gauge" | "counter",
  value: (h: WatchHostTotals) => number,
): Family => ({
  name,
  help,
  type,
  samples: Object.entries(state.hosts).map(([host, h]) => ({ labels: { host }, value: value(h) })),
});

export function renderWatchMetrics(state: WatchState): string {
  const families: Family[] = [
    {
      name: "lvsplay_watch_cycles_total",
      help: "Audit cycles finished since the watch started.",
      type: "counter",
      samples: [{ labels: {}, value: state.cycles }],
    },
    {
      name: "lvsplay_watch_interval_seconds",
      help: "Time between the starts of two cycles.",
      samples: [{ labels: {}, value: state.intervalSec }],
    },
    {
      name: "lvsplay_watch_cpu_seconds_total",
      help: "Controller CPU time (user + system) spent in audit cycles.",
      type: "counter",
      samples: [{ labels: {}, value: state.cpuSeconds }],
    },
    ...(state.lastCycleSeconds === undefined
      ? []
      : [
          {
            name: "lvsplay_watch_last_cycle_duration_seconds",
            help: "Wall time of the last finished cycle.",
            samples: [{ labels: {}, value: state.lastCycleSeconds }],
          },
        ]),
    perHost(
      state,
      "lvsplay_watch_connections_total",
      "SSH connections opened to the host.",
      "counter",
      (h) => h.connections,
    ),
    perHost(
      state,
      "lvsplay_watch_reconnects_total",
      "Connections reopened after a drop or a failed attempt.",
      "counter",
      (h) => h.reconnects,
    ),
    perHost(
      state,
      "lvsplay_watch_connect_failures",
      "Consecutive failed connection attempts (0: connected).",
      "gauge",
      (h) => h.failures,
    ),
    perHost(
      state,
      "lvsplay_watch_round_trips_total",
      "Remote commands run on the host.",
      "counter",
      (h) => h.roundTrips,
    ),
    perHost(
      state,
      "lvsplay_watch_sent_bytes_total",
      "Bytes sent to the host over SSH.",
      "counter",
      (h) => h.bytesSent,
    ),
    perHost(
      state,
      "lvsplay_watch_received_bytes_total",
      "Bytes received from the host over SSH.",
      "counter",
      (h) => h.bytesReceived,
    ),
  ];
  const audit = state.report ? renderPromFile(state.report, state.lastSuccessSec) : "";
  return audit + families.map(renderFamily).join("");
}
