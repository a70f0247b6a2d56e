// One measurement of the data path: capture client SYNs on some hosts' eth1,
// send client requests to the VIP, stop the captures, count director crossings.
import { clientRequests, describeTally, type RequestTally } from "./client-requests.js";
import { type GuestLab, inHostOk } from "./guest-lab.js";
import {
  type CrossingCount,
  countDirectorCrossings,
  parseSynFrames,
  type SynFrame,
  startSynCapture,
  stopSynCapture,
} from "./syn-capture.js";

export interface HostCapture {
  readonly frames: readonly SynFrame[];
  readonly crossings: CrossingCount;
}

export interface DataPathRun {
  readonly tally: RequestTally;
  /** Capture host → what its eth1 saw. */
  readonly captures: ReadonlyMap<string, HostCapture>;
}

export async function dataPlaneMac(lab: GuestLab, host: string, iface = "eth1"): Promise<string> {
  return (await inHostOk(lab, host, ["cat", `/sys/class/net/${iface}/address`])).trim().toLowerCase();
}

export async function measureDataPath(
  lab: GuestLab,
  opts: {
    vip: string;
    captureOn: readonly string[];
    directorMacs: readonly string[];
    count?: number;
    /** curl -m per request. */
    timeoutSec?: number;
  },
): Promise<DataPathRun> {
  const running = await Promise.all(opts.captureOn.map((h) => startSynCapture(lab, h, opts.vip, 80)));
  // The captures are processes we started: stop them even when the requests failed.
  const outcome = await clientRequests(lab, {
    vip: opts.vip,
    count: opts.count ?? 30,
    ...(opts.timeoutSec !== undefined ? { timeoutSec: opts.timeoutSec } : {}),
  }).then(
    (tally) => ({ tally }),
    (error: unknown) => ({ error }),
  );
  const texts = await Promise.all(running.map((cap) => stopSynCapture(lab, cap)));
  if ("error" in outcome) throw outcome.error;
  const { tally } = outcome;
  const captures = new Map<string, HostCapture>(
    running.map((cap, i) => {
      const frames = parseSynFrames(texts[i] ?? "");
      return [cap.host, { frames, crossings: countDirectorCrossings(frames, opts.directorMacs) }];
    }),
  );
  return { tally, captures };
}

export function describeDataPath(what: string, run: DataPathRun): string {
  const caps = [...run.captures.entries()].map(
    ([host, c]) =>
      `${host} eth1: ${c.crossings.frames} SYN frames, ${c.crossings.betweenDirectors} director→director, ` +
      `max ${c.crossings.max} crossings of one SYN, ${c.crossings.repeated} SYNs repeated`,
  );
  return [describeTally(what, run.tally), ...caps.map((l) => `  ${l}`)].join("\n");
}
