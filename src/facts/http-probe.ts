// N HTTP requests to a VIP from a client host; read-only. Each answer body's
// first line is recorded ("-" when the request failed).
import type { Fact } from "../engine/types.js";

// One curl process for all N requests (a process per request cost ~5 ms each);
// "Connection: close" makes every request a new connection, so the VIP's
// scheduler sees N clients. -w ends each transfer with its status line.
const PROBE = [
  'url=$1; n=$2; shift 2; i=0; while [ "$i" -lt "$n" ]; do set -- "$@" "$url"; i=$((i+1)); done',
  "curl -s -m 2 -H 'Connection: close' -w '\\n%{http_code} LVSPLAY-END\\n' \"$@\" 2>/dev/null |",
  'awk \'/^[0-9][0-9][0-9] LVSPLAY-END$/ { print (($1 != "000" && first != "") ? first : "-"); first = ""; seen = 0; next }',
  "{ if (!seen) { first = $0; seen = 1 } }'",
].join("\n");

export interface HttpProbeFact {
  readonly answers: readonly string[];
}

export const httpProbeFact: Fact<HttpProbeFact> = {
  name: "http.probe",
  command: ([url, n]) => ({
    argv: ["sh", "-c", PROBE, "lvsplay-probe", url ?? "", n ?? "1"],
    timeoutSec: 120,
  }),
  parse: (r) => ({ answers: r.stdout.split("\n").filter((l) => l !== "") }),
  volatile: true,
};
