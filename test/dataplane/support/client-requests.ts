// Client requests to the VIP, sent from the lab's client host with curl: one
// new TCP connection each, so every request is a fresh scheduling decision.
import { type GuestLab, inHostOk } from "./guest-lab.js";

export interface RequestTally {
  readonly sent: number;
  readonly answered: number;
  /** Answering real server (the lab's httpd serves its hostname) → count. */
  readonly byServer: ReadonlyMap<string, number>;
  readonly ms: number;
}

// Constant script; the count, URL and timeout come in as positional parameters.
const SCRIPT = `n=$1; url=$2; max=$3; i=0
while [ "$i" -lt "$n" ]; do
  i=$((i + 1))
  if body=$(curl -s -f -m "$max" "$url"); then echo "OK $body"; else echo "FAIL $?"; fi
done`;

export function tallyAnswers(output: string, sent: number, ms: number): RequestTally {
  const byServer = new Map<string, number>();
  let answered = 0;
  for (const line of output.split("\n")) {
    const m = /^OK (\S+)/.exec(line.trim());
    if (!m) continue;
    answered++;
    byServer.set(m[1]!, (byServer.get(m[1]!) ?? 0) + 1);
  }
  return { sent, answered, byServer, ms };
}

export async function clientRequests(
  lab: GuestLab,
  opts: { vip: string; port?: number; count?: number; timeoutSec?: number; client?: string },
): Promise<RequestTally> {
  const count = opts.count ?? 30;
  const url = `http://${opts.vip}:${opts.port ?? 80}/`;
  const started = Date.now();
  const out = await inHostOk(
    lab,
    opts.client ?? "client",
    ["sh", "-c", SCRIPT, "sh", String(count), url, String(opts.timeoutSec ?? 2)],
    { timeoutSec: 60 + count * ((opts.timeoutSec ?? 2) + 2) },
  );
  return tallyAnswers(out, count, Date.now() - started);
}

export function describeTally(what: string, t: RequestTally): string {
  const servers = [...t.byServer.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([s, n]) => `${s}=${n}`)
    .join(" ");
  return `${what}: ${t.answered}/${t.sent} answered in ${(t.ms / 1000).toFixed(1)} s (${servers})`;
}
