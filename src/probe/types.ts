// The load generator's data: one record per request, one per connection, and
// the settings of a run. Plain data, so the statistics are pure functions.

/** How a request ended. "answered" is a complete HTTP response with a status below 500. */
export type Outcome = "answered" | "refused" | "reset" | "closed" | "timeout" | "http-error" | "error";

export const FAILURE_KINDS: readonly Exclude<Outcome, "answered">[] = [
  "refused",
  "reset",
  "closed",
  "timeout",
  "http-error",
  "error",
];

export interface RequestRecord {
  /** 0-based, in schedule order. */
  readonly index: number;
  /** When the schedule wanted it sent, ms after the run started. */
  readonly dueMs: number;
  /** When it was sent (≥ dueMs: later when every allowed connection was busy). */
  readonly startMs: number;
  /** Start to complete response (or to the failure). */
  readonly latencyMs: number;
  readonly outcome: Outcome;
  /** Which server answered (from the body or a header), when it answered. */
  readonly server?: string;
  readonly status?: number;
  /** The connection it used (keep-alive: shared by several requests). */
  readonly connection: number;
  /** Error code or detail for failures (ECONNRESET, "connect", "response"…). */
  readonly detail?: string;
}

export interface ConnectionRecord {
  readonly id: number;
  readonly openedMs: number;
  /** When the connection ended (ms after start); absent when still open at the end. */
  readonly endedMs?: number;
  /** Why it ended: a failure kind, "server-closed" (orderly, e.g. Connection: close) or "done". */
  readonly end: Outcome | "server-closed" | "done" | "open";
  readonly requests: number;
  readonly answered: number;
  /** Distinct servers that answered on this connection (more than one = misdelivery). */
  readonly servers: readonly string[];
}

export type ServerFrom =
  | { readonly kind: "body" }
  | { readonly kind: "header"; readonly name: string }
  | { readonly kind: "body-match"; readonly pattern: string };

export interface ProbeSettings {
  readonly url: string;
  readonly requests: number;
  /** Requests per second (the schedule; open loop). */
  readonly rate: number;
  /** Most requests in flight at once (= most connections in keep-alive mode). */
  readonly concurrency: number;
  /** New TCP connection per request, or keep-alive connections reused. */
  readonly mode: "new-connection" | "keep-alive";
  /** Per request: connect plus complete response. */
  readonly timeoutMs: number;
  readonly serverFrom: ServerFrom;
}

export interface ProbeRun {
  readonly settings: ProbeSettings;
  /** Wall clock (ms since the epoch) when the run started: records are relative to it. */
  readonly startedAt: number;
  /** True when the run was stopped before sending every request (ProbeHooks.stop). */
  readonly stopped: boolean;
  readonly durationMs: number;
  readonly requests: readonly RequestRecord[];
  readonly connections: readonly ConnectionRecord[];
}
