// Gathers many facts in ONE round trip: every fact command is quoted by the
// shared helper and run in a single `sh -c` script; the output is split on a
// random boundary so no fact output can forge another fact's section.
import { randomBytes } from "node:crypto";
import { shellJoin } from "../transport/quote.js";
import type { CommandResult, Transport } from "../transport/types.js";
import { clipMiddle } from "../util/clip.js";
import { errorMessage } from "../util/error-message.js";
import type { FactCacheView } from "./fact-cache.js";
import { FactError, type FactReader, type FactRequest, factKey } from "./types.js";

/**
 * A fact's command as the body of a shell function. `sh -c SCRIPT NAME ARGS…`
 * (how most facts are written) is inlined: `set -- ARGS…` then SCRIPT, which
 * saves starting a shell per fact — a fleet-sized run is CPU-bound on the
 * hosts' process starts. Every fact runs in a subshell, so `exit`, `exec` and
 * variables stay inside it.
 */
function functionBody(req: FactRequest): string {
  const argv = req.fact.command(req.args).argv;
  const [program, flag, script, , ...args] = argv;
  if (req.fact.opaque || program !== "sh" || flag !== "-c" || script === undefined)
    return `${shellJoin(argv)}\n`;
  // Only lvsplay's own scripts are inlined (opaque facts are not): a syntax
  // error in one would break the whole batch.
  return `${argv.length > 4 ? `set -- ${shellJoin(args)}\n` : ""}${script}\n`;
}

/**
 * Builds the batch script. Exported for unit tests. Facts run one after
 * another (running them at once only made a fleet's hosts compete for CPU);
 * stdout streams to fd 3, stderr is captured, $? is the status.
 */
export function batchScript(requests: readonly FactRequest[], boundary: string): string {
  const lines = ["exec 3>&1"];
  requests.forEach((req, i) => {
    lines.push(`f${i}() {\n${functionBody(req)}}`);
  });
  // Loop variables a fact script would not use by accident (it sees them: same shell).
  const mark = (what: string) => `'${boundary}':$lvsplay_i:${what}`;
  lines.push(
    `for lvsplay_i in ${requests.map((_, i) => i).join(" ")}; do`,
    `  printf '%s\\n' ${mark("out")}`,
    `  lvsplay_err=$( { "f$lvsplay_i" ; } 2>&1 1>&3 3>&- ); lvsplay_rc=$?`,
    `  printf '\\n%s\\n%s' ${mark("err")} "$lvsplay_err"`,
    `  printf '\\n%s:%s\\n' ${mark("rc")} "$lvsplay_rc"`,
    "done",
  );
  return lines.join("\n");
}

/** Splits the batch output back into one CommandResult per request. Exported for unit tests. */
export function splitBatchOutput(stdout: string, count: number, boundary: string): CommandResult[] {
  const results: CommandResult[] = [];
  let cursor = 0;
  for (let i = 0; i < count; i++) {
    const outMark = `${boundary}:${i}:out\n`;
    const errMark = `\n${boundary}:${i}:err\n`;
    const rcMark = `\n${boundary}:${i}:rc:`;
    const outAt = stdout.indexOf(outMark, cursor);
    const errAt = stdout.indexOf(errMark, outAt);
    const rcAt = stdout.indexOf(rcMark, errAt);
    if (outAt < 0 || errAt < 0 || rcAt < 0) throw new FactError(`fact batch output truncated at fact ${i}`);
    const rcEnd = stdout.indexOf("\n", rcAt + rcMark.length);
    const code = Number(stdout.slice(rcAt + rcMark.length, rcEnd < 0 ? undefined : rcEnd));
    results.push({
      stdout: stdout.slice(outAt + outMark.length, errAt),
      stderr: stdout.slice(errAt + errMark.length, rcAt),
      code: Number.isInteger(code) ? code : null,
    });
    cursor = rcAt + rcMark.length;
  }
  return results;
}

export interface GatheredFacts extends FactReader {
  readonly roundTrips: number;
}

/** A fact as messages name it: `name(args…)`, long arguments cut. */
function describeRequest(req: FactRequest): string {
  const args = req.args.map((a) => (a.length > 40 ? `${a.slice(0, 39)}…` : a)).join(" ");
  return `${req.fact.name}(${args})`;
}

/** How many facts of the batch printed their status line (in order: a killed batch stops at one). */
function completedFacts(stdout: string, count: number, boundary: string): number {
  let done = 0;
  while (done < count && stdout.includes(`\n${boundary}:${done}:rc:`)) done++;
  return done;
}

/** A fact that declares no time limit gets this much of the batch's limit. */
const DEFAULT_FACT_SEC = 10;

/**
 * Runs every distinct request in one remote command and parses each result.
 * With a cache, requests it holds are not read again and new results are
 * stored in it (volatile facts excepted).
 */
export async function gatherFacts(
  transport: Transport,
  requests: readonly FactRequest[],
  cache?: FactCacheView,
): Promise<GatheredFacts> {
  const unique = new Map<string, FactRequest>();
  const values = new Map<string, unknown>();
  const store = cache?.writer();
  for (const req of requests) {
    const key = factKey(req);
    const cached = req.fact.volatile ? undefined : cache?.get(key);
    if (cached) values.set(key, cached.value);
    else unique.set(key, req);
  }
  const ordered = [...unique.values()];
  let roundTrips = 0;
  if (ordered.length > 0) {
    const boundary = `LVSPLAY-${randomBytes(8).toString("hex")}`;
    // The batch may take as long as its facts together (slow ones declare their own limit).
    const timeoutSec =
      30 + ordered.reduce((sum, req) => sum + (req.fact.command(req.args).timeoutSec ?? DEFAULT_FACT_SEC), 0);
    const result = await transport.run({
      argv: ["sh", "-c", batchScript(ordered, boundary)],
      become: true,
      timeoutSec,
      readOnly: true,
      what: `fact batch (${ordered.map(describeRequest).join(", ")})`,
    });
    roundTrips = 1;
    // The batch never started (sudo refused, no shell, killed): say what the host said.
    if (!result.stdout.includes(`${boundary}:0:out\n`)) {
      const said = result.stderr.trim() || result.stdout.trim() || "no output";
      throw new FactError(`cannot read facts (exit ${result.code ?? "killed"}): ${clipMiddle(said, 800)}`);
    }
    // The batch ended before its last fact did (killed at its time limit): name the fact it was in.
    const done = completedFacts(result.stdout, ordered.length, boundary);
    if (done < ordered.length) {
      const said = result.stderr.trim() || "no message";
      throw new FactError(
        `cannot read facts: the batch ended (exit ${result.code ?? "killed"}) during fact ${describeRequest(ordered[done]!)} (${done + 1} of ${ordered.length}): ${clipMiddle(said, 800)}`,
      );
    }
    const parts = splitBatchOutput(result.stdout, ordered.length, boundary);
    ordered.forEach((req, i) => {
      const part = parts[i]!;
      let value: unknown;
      try {
        value = req.fact.parse(part, req.args);
      } catch (error) {
        const msg = errorMessage(error);
        value = new FactError(`fact ${req.fact.name}(${req.args.join(" ")}): ${msg}`);
      }
      values.set(factKey(req), value);
      // A failed read is not kept: a later stage tries again.
      if (!req.fact.volatile && !(value instanceof FactError)) store?.(factKey(req), value);
    });
  }
  return {
    roundTrips,
    get<T>(req: FactRequest<T>): T {
      const key = factKey(req);
      if (!values.has(key)) throw new Error(`fact ${key} was read but not requested by the operation`);
      const value = values.get(key);
      if (value instanceof FactError) throw value;
      return value as T;
    },
  };
}
