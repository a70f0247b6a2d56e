// Which real servers one client's N sequential requests through a VIP must
// reach — what verify's "balanced over real servers" check may demand. Only a
// round-robin scheduler without persistence promises that: rr visits every
// real server of weight > 0 in turn, wrr does so once per cycle of
// sum(weights)/gcd(weights) requests. Least-connection schedulers follow the
// servers' current load (a busy cluster's leftover connections decide), the
// hashing and locality ones keep one client on one server, and persistence
// pins a client to the server it first reached: for those the check can only
// report what it saw.
import type { Service } from "../inventory/model.js";

export type Spread =
  | { readonly kind: "every"; readonly servers: readonly string[] }
  | { readonly kind: "unpredictable"; readonly why: string };

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

export function expectedSpread(
  svc: Pick<Service, "scheduler" | "persistenceTimeoutSec" | "weights">,
  realServers: readonly string[],
  requests: number,
): Spread {
  if (svc.persistenceTimeoutSec)
    return {
      kind: "unpredictable",
      why: `persistence_timeout ${svc.persistenceTimeoutSec} s keeps one client on one real server`,
    };
  if (svc.scheduler !== "rr" && svc.scheduler !== "wrr")
    return {
      kind: "unpredictable",
      why: `scheduler ${svc.scheduler} does not spread one client's requests over every real server`,
    };
  const weighted = realServers.map((name) => ({ name, weight: svc.weights[name] ?? 1 }));
  // Weight 0 is IPVS's "quiesced": such a server takes no new connection.
  const serving = weighted.filter((w) => w.weight > 0);
  const cycle =
    svc.scheduler === "rr"
      ? serving.length
      : serving.reduce((sum, w) => sum + w.weight, 0) / serving.reduce((g, w) => gcd(g, w.weight), 0);
  if (requests < cycle)
    return {
      kind: "unpredictable",
      why: `${requests} requests are fewer than one ${svc.scheduler} cycle over the real servers (${cycle})`,
    };
  return { kind: "every", servers: serving.map((w) => w.name) };
}
