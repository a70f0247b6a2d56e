// One drift audit: the playbook planned in check mode through a connector whose
// transports refuse anything but fact reads, turned into the audit report.
// `lvsplay audit` runs it once; `lvsplay audit --watch` once per cycle over
// connections it keeps open.
import { exitCodeFor } from "../cli/exit-codes.js";
import { EventBus, type EventListener } from "../engine/events.js";
import { type RunOutcome, runPlaybook } from "../engine/run.js";
import type { Inventory } from "../inventory/model.js";
import type { OperationRegistry } from "../operations/registry.js";
import type { Playbook } from "../playbook/model.js";
import type { Connector } from "../transport/types.js";
import { buildAuditReport } from "./build-report.js";
import { readOnlyConnector } from "./read-only.js";
import type { AuditReport } from "./report.js";

export interface AuditOnceInput {
  readonly inventory: Inventory;
  readonly playbook: Playbook;
  readonly registry: OperationRegistry;
  /** Wrapped read-only here: whatever it is, the audit cannot change a host. */
  readonly connector: Connector;
  /** Hosts audited, in inventory order (after --limit). */
  readonly hosts: readonly string[];
  readonly limit?: string;
  readonly forks: number;
  /** The inventory file's absolute path, for the report. */
  readonly inventoryFile: string;
  readonly toolVersion: string;
  /** Behaviour probes (client requests) run; default true. */
  readonly probes?: boolean;
  /** Sees every run event (task-by-task progress). */
  readonly onEvent?: EventListener;
}

export interface AuditOnce {
  readonly report: AuditReport;
  readonly outcome: RunOutcome;
}

export async function auditOnce(input: AuditOnceInput): Promise<AuditOnce> {
  const started = Date.now();
  const events = new EventBus();
  const unreachable: Record<string, string> = {};
  events.subscribe((e) => {
    if (e.type === "host-unreachable") unreachable[e.host] = e.error;
  });
  if (input.onEvent) events.subscribe(input.onEvent);
  const outcome = await runPlaybook({
    inventory: input.inventory,
    playbook: input.playbook,
    registry: input.registry,
    connector: readOnlyConnector(input.connector),
    events,
    options: {
      check: true,
      forks: input.forks,
      maxFailPercent: 100,
      ...(input.limit !== undefined ? { limit: input.limit } : {}),
      ...(input.probes === false ? { probes: false } : {}),
    },
  });
  const exitCode = exitCodeFor(outcome, { check: true }) as 0 | 2 | 3;
  const report = buildAuditReport({
    outcome,
    hosts: input.hosts,
    unreachable,
    exitCode,
    inventory: input.inventoryFile,
    playbook: input.playbook.name,
    toolVersion: input.toolVersion,
    durationMs: Date.now() - started,
    finishedAt: new Date(),
  });
  return { report, outcome };
}
