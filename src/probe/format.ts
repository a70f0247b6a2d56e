// The probe's report for people: one screen, the numbers an operator asks for.
import type { ProbeSummary } from "./stats.js";
import type { ProbeSettings } from "./types.js";

const ms = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(1)} ms`);
const pct = (n: number, of: number) => (of === 0 ? "-" : `${((100 * n) / of).toFixed(1)} %`);

export function formatSummary(settings: ProbeSettings, s: ProbeSummary): string {
  const mode =
    settings.mode === "keep-alive"
      ? `keep-alive, up to ${settings.concurrency} connections`
      : `new connection each, up to ${settings.concurrency} in flight`;
  const lines = [
    `probe ${settings.url}: ${s.sent} requests at ${settings.rate}/s (${mode}), ${ms(s.durationMs)}, ` +
      `achieved ${s.achievedRate.toFixed(1)}/s`,
    `answered ${s.answered} (${pct(s.answered, s.sent)})   failed ${s.failed}` +
      (s.failed > 0
        ? `: ${Object.entries(s.failures)
            .filter(([, n]) => n > 0)
            .map(([k, n]) => `${k} ${n}`)
            .join(", ")}`
        : ""),
  ];
  const servers = Object.entries(s.byServer);
  if (servers.length > 0 || s.unidentified > 0)
    lines.push(
      `by server: ${servers.map(([name, n]) => `${name} ${n}`).join("  ")}` +
        (s.unidentified > 0 ? `  (unidentified ${s.unidentified})` : ""),
    );
  if (s.latencyMs)
    lines.push(
      `latency (answered): p50 ${ms(s.latencyMs.p50)}  p90 ${ms(s.latencyMs.p90)}  p99 ${ms(s.latencyMs.p99)}  max ${ms(s.latencyMs.max)}`,
    );
  if (s.maxStartDelayMs >= 100)
    lines.push(
      `requests started up to ${ms(s.maxStartDelayMs)} after their schedule (every connection busy, or a busy client CPU)`,
    );
  for (const w of s.outages)
    lines.push(
      `outage: ${w.failures} failed from ${ms(w.fromMs)}` +
        (w.toMs !== undefined
          ? ` until an answer at ${ms(w.toMs)} (${ms(w.toMs - w.fromMs)})`
          : " to the end"),
    );
  if (settings.mode === "keep-alive") {
    const ended = Object.entries(s.connections.endedBy)
      .map(([k, n]) => `${k} ${n}`)
      .join(", ");
    lines.push(
      `connections: ${s.connections.opened} opened (${ended}), up to ${s.connections.maxRequestsOnOne} requests on one` +
        (s.connections.multiServer > 0
          ? `, ${s.connections.multiServer} answered by more than one server!`
          : ""),
    );
  }
  return `${lines.join("\n")}\n`;
}
