// Client requests to the VIP, sent from the lab's client host with curl: one
// new TCP connection each, so every request is a fresh scheduling decision.
import { type GuestLab, inHostOk } from "./guest-lab.js";

export interface RequestTally {
  readonly sent: number;
  readonly answered: number;
  /** Answering real server (the lab's httpd serves its hostname) → count. */
  readonly byServer: ReadonlyMap<string, number>;
  /** One line per failed request: curl's exit code (7 refused, 28 timeout), port, time. */
  readonly failures: readonly string[];
  readonly ms: number;
}

// Constant script; the count, URL and timeout come in as positional parameters.
// One line per request: "OK <answering host> <local port> <seconds>" or
// "FAIL <curl exit code> <local port> <seconds>".
const SCRIPT = `n=$1; url=$2; max=$3; body=/tmp/lvsplay-dp-body; i=0
while [ "$i" -lt "$n" ]; do
  i=$((i + 1))
  rm -f "$body"
  meta=$(curl -s -f -m "$max" -o "$body" -w '%{local_port} %{time_total}' "$url"); rc=$?
  if [ "$rc" -eq 0 ]; then echo "OK $(cat "$body") $meta"; else echo "FAIL $rc $meta"; fi
done
rm -f "$body"`;

export function tallyAnswers(output: string, sent: number, ms: number): RequestTally {
  const byServer = new Map<string, number>();
  const failures: string[] = [];
  let answered = 0;
  for (const line of output.split("\n")) {
    const ok = /^OK (\S+)/.exec(line.trim());
    if (ok) {
      answered++;
      byServer.set(ok[1]!, (byServer.get(ok[1]!) ?? 0) + 1);
    }
    const fail = /^FAIL (\d+) (\S*) ?(\S*)/.exec(line.trim());
    if (fail) failures.push(`curl exit ${fail[1]} (local port ${fail[2]}, ${fail[3]} s)`);
  }
  return { sent, answered, byServer, failures, ms };
}

export async function clientRequests(
  lab: GuestLab,
  opts: { vip: string; port?: number; count?: number; timeoutSec?: number; client?: string },
): Promise<RequestTally> {
  const count = opts.count ?? 30;
  // 30 s by default: an emulated guest on a busy shared machine can take seconds per
  // answer, and a long limit is harmless — a looping SYN never gets an answer,
  // however long curl waits (the loop control passes its own short limit).
  const timeoutSec = opts.timeoutSec ?? 30;
  const url = `http://${opts.vip}:${opts.port ?? 80}/`;
  const started = Date.now();
  const out = await inHostOk(
    lab,
    opts.client ?? "client",
    ["sh", "-c", SCRIPT, "sh", String(count), url, String(timeoutSec)],
    // A hang guard only: starting curl in the emulated guest alone can take seconds each.
    { timeoutSec: 600 + count * (timeoutSec + 30) },
  );
  return tallyAnswers(out, count, Date.now() - started);
}

export function describeTally(what: string, t: RequestTally): string {
  const servers = [...t.byServer.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([s, n]) => `${s}=${n}`)
    .join(" ");
  const failed = t.failures.length > 0 ? `; failed: ${t.failures.join("; ")}` : "";
  return `${what}: ${t.answered}/${t.sent} answered in ${(t.ms / 1000).toFixed(1)} s (${servers})${failed}`;
}
