// N HTTP requests to a VIP from a client host; read-only. Each answer body's
// first line is recorded ("-" when the request failed).
import type { Fact, FactRequest } from "../engine/types.js";
import { factRequest } from "../engine/types.js";
import type { Host } from "../inventory/model.js";

/** Seconds one request may take on a host of timeout_scale 1 (connect to complete response). */
export const REQUEST_LIMIT_SEC = 2;

// One curl process for all N requests (a process per request cost ~5 ms each);
// "Connection: close" makes every request a new connection, so the VIP's
// scheduler sees N clients. -w ends each transfer with its status line.
const PROBE = [
  'url=$1; n=$2; limit=$3; shift 3; i=0; while [ "$i" -lt "$n" ]; do set -- "$@" "$url"; i=$((i+1)); done',
  "curl -s -m \"$limit\" -H 'Connection: close' -w '\\n%{http_code} LVSPLAY-END\\n' \"$@\" 2>/dev/null |",
  'awk \'/^[0-9][0-9][0-9] LVSPLAY-END$/ { print (($1 != "000" && first != "") ? first : "-"); first = ""; seen = 0; next }',
  "{ if (!seen) { first = $0; seen = 1 } }'",
].join("\n");

export interface HttpProbeFact {
  readonly answers: readonly string[];
}

export const httpProbeFact: Fact<HttpProbeFact> = {
  name: "http.probe",
  command: ([url, n = "1", limit = String(REQUEST_LIMIT_SEC)]) => ({
    argv: ["sh", "-c", PROBE, "lvsplay-probe", url ?? "", n, limit],
    // Every request may fail at its limit; the transport multiplies this by the host's timeout_scale too.
    timeoutSec: Math.max(120, 30 + Number(n) * REQUEST_LIMIT_SEC),
  }),
  parse: (r) => ({ answers: r.stdout.split("\n").filter((l) => l !== "") }),
  volatile: true,
};

/**
 * N requests to URL from CLIENT, each given REQUEST_LIMIT_SEC × the client's
 * timeout_scale: a slow (emulated, overloaded) client answers later, not never.
 */
export function httpProbeRequest(client: Host, url: string, requests: number): FactRequest<HttpProbeFact> {
  const limit = REQUEST_LIMIT_SEC * client.connection.timeoutScale;
  return factRequest(httpProbeFact, url, String(requests), String(limit));
}
