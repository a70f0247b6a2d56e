// N HTTP requests to a VIP from a client host; read-only. Each answer body's
// first line is recorded ("-" when the request failed).
import type { Fact } from "../engine/types.js";

const PROBE =
  'url=$1; n=$2; i=0; while [ "$i" -lt "$n" ]; do ' +
  'b=$(curl -s -m 2 "$url" 2>/dev/null | head -n 1) || b=""; [ -n "$b" ] || b="-"; echo "$b"; i=$((i+1)); done';

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
};
