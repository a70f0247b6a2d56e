// Plain-text pieces shared by the line and listr renderers.
import pc from "picocolors";
import type { EngineEvent, HostRecap, Recap, TaskResult } from "../engine/events.js";
import type { TaskStatus } from "../engine/types.js";

export function colourStatus(status: TaskStatus, text: string = status): string {
  switch (status) {
    case "ok":
      return pc.green(text);
    case "changed":
      return pc.yellow(text);
    case "failed":
    case "unreachable":
      return pc.red(text);
    case "skipped":
      return pc.cyan(text);
  }
}

export function resultLine(r: TaskResult, check: boolean): string {
  const label = check && r.status === "changed" ? "would change" : r.status;
  const count = r.changes.length > 0 ? ` (${r.changes.length} change${r.changes.length > 1 ? "s" : ""})` : "";
  return `${colourStatus(r.status, `${label}:`)} [${r.host}] ${r.task}${count}`;
}

export function resultDetail(r: TaskResult): string[] {
  const lines: string[] = [];
  if (r.error) lines.push(`  error: ${r.error}`);
  for (const c of r.changes) lines.push(`  - ${c.summary}`);
  for (const c of r.checks)
    lines.push(`  ${c.status === "pass" ? "✓" : c.status === "fail" ? "✗" : "–"} ${c.name}: ${c.detail}`);
  for (const n of r.notes) if (r.status !== "ok") lines.push(`  note: ${n}`);
  return lines;
}

function recapCell(name: keyof HostRecap, value: number): string {
  // Pad before colouring: escape codes must not count towards the column width.
  const text = `${name}=${value}`.padEnd(14);
  if (value === 0) return text;
  return name === "ok"
    ? pc.green(text)
    : name === "changed"
      ? pc.yellow(text)
      : name === "skipped"
        ? pc.cyan(text)
        : pc.red(text);
}

export function recapLines(recap: Recap): string[] {
  const names = Object.keys(recap);
  const width = Math.max(4, ...names.map((n) => n.length));
  const lines = [pc.bold("PLAY RECAP")];
  for (const name of names) {
    const h = recap[name]!;
    const cells = (["ok", "changed", "unreachable", "failed", "skipped"] as const).map((k) =>
      recapCell(k, h[k]),
    );
    lines.push(`${name.padEnd(width)} : ${cells.join(" ")}`.trimEnd());
  }
  return lines;
}

/** Lines for a run's batches, data reads, VIP hand-overs, lock and interrupts (every renderer). */
export function runEventLines(event: EngineEvent): string[] {
  switch (event.type) {
    case "batch-start":
      return ["", pc.bold(`BATCH ${event.index}/${event.total}: ${event.hosts.join(", ")}`)];
    case "batch-end": {
      const failed = event.failed.length > 0 ? `, failed: ${event.failed.join(", ")}` : "";
      return [
        pc.dim(`  (batch ${event.index}/${event.total}: ${(event.durationMs / 1000).toFixed(2)} s${failed})`),
      ];
    }
    case "batching":
      return [pc.dim(`batches: ${event.detail}`)];
    case "data-read":
      return [pc.dim(`reading ${event.hosts.join(", ")} for ${event.what.join(", ")}`)];
    case "data-read-failed":
      return [`${pc.red("cannot read:")} [${event.host}] ${event.error}`];
    case "drain":
      return [`${pc.cyan(`vip ${event.phase}:`)} [${event.host}] ${event.detail}`];
    case "lock":
      return [pc.dim(`lock: ${event.detail}`)];
    case "interrupt":
      return [pc.yellow(`interrupted (${event.signal}): ${event.detail}`)];
    default:
      return [];
  }
}
