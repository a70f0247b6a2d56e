// `lvsplay probe URL`: a load generator for a VIP, run on a client host.
import { ExitCode } from "../../errors.js";
import { formatSummary } from "../../probe/format.js";
import { type ProbeFlags, parseMaxFailures, probeSettings } from "../../probe/options.js";
import { runProbe } from "../../probe/run.js";
import { summarize } from "../../probe/stats.js";

export interface ProbeCommandFlags extends ProbeFlags {
  readonly json?: boolean;
  readonly records?: boolean;
  readonly progress?: boolean;
  readonly maxFailures: string;
}

export async function probeCommand(url: string, flags: ProbeCommandFlags): Promise<ExitCode> {
  const settings = probeSettings(url, flags);
  const maxFailures = parseMaxFailures(flags.maxFailures);
  // SIGINT/SIGTERM: no new request starts, the ones in flight finish, the summary
  // is printed (a probe "until Ctrl-C"); a second signal exits at once.
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (stop.signal.aborted) process.exit(signal === "SIGTERM" ? ExitCode.terminated : ExitCode.interrupted);
    process.stderr.write(
      `probe: ${signal}: no new requests; waiting for those in flight (again to exit at once)\n`,
    );
    stop.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const run = await runProbe(settings, {
    stop: stop.signal,
    ...(flags.progress
      ? {
          onProgress: (p) =>
            process.stderr.write(
              `${(p.elapsedMs / 1000).toFixed(1)} s: started ${p.started}, answered ${p.answered}, failed ${p.failed}, in flight ${p.inFlight}\n`,
            ),
        }
      : {}),
  });
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);
  const summary = summarize(run);
  if (flags.json) {
    const doc = {
      schemaVersion: 1,
      tool: "lvsplay probe",
      settings,
      startedAt: new Date(run.startedAt).toISOString(),
      startedAtMs: run.startedAt,
      stopped: run.stopped,
      summary,
      ...(flags.records ? { requests: run.requests, connections: run.connections } : {}),
    };
    process.stdout.write(`${JSON.stringify(doc)}\n`);
  } else process.stdout.write(formatSummary(settings, summary));
  return summary.failed > maxFailures ? ExitCode.hostsFailed : ExitCode.ok;
}
