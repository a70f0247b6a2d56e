// Gathers many facts in ONE round trip: every fact command is quoted by the
// shared helper and run in a single `sh -c` script; the output is split on a
// random boundary so no fact output can forge another fact's section.
import { randomBytes } from "node:crypto";
import { shellJoin } from "../transport/quote.js";
import type { CommandResult, Transport } from "../transport/types.js";
import { errorMessage } from "../util/error-message.js";
import { FactError, type FactReader, type FactRequest, factKey } from "./types.js";

/** Builds the batch script. Exported for unit tests. */
export function batchScript(requests: readonly FactRequest[], boundary: string): string {
  const lines = ["exec 3>&1"];
  requests.forEach((req, i) => {
    const inner = shellJoin(req.fact.command(req.args).argv);
    // stdout streams to fd 3; stderr is captured into $err; $? is the command's status.
    lines.push(`printf '%s\\n' '${boundary}:${i}:out'`);
    lines.push(`err=$( { ${inner} ; } 2>&1 1>&3 3>&- ); rc=$?`);
    lines.push(`printf '\\n%s\\n%s' '${boundary}:${i}:err' "$err"`);
    lines.push(`printf '\\n%s:%s\\n' '${boundary}:${i}:rc' "$rc"`);
  });
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

/** Runs every distinct request in one remote command and parses each result. */
/** A fact that declares no time limit gets this much of the batch's limit. */
const DEFAULT_FACT_SEC = 10;

export async function gatherFacts(
  transport: Transport,
  requests: readonly FactRequest[],
): Promise<GatheredFacts> {
  const unique = new Map<string, FactRequest>();
  for (const req of requests) unique.set(factKey(req), req);
  const ordered = [...unique.values()];
  const values = new Map<string, unknown>();
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
    });
    roundTrips = 1;
    // The batch never started (sudo refused, no shell, killed): say what the host said.
    if (!result.stdout.includes(`${boundary}:0:out\n`)) {
      const said = result.stderr.trim() || result.stdout.trim() || "no output";
      throw new FactError(`cannot read facts (exit ${result.code ?? "killed"}): ${said.slice(0, 500)}`);
    }
    const parts = splitBatchOutput(result.stdout, ordered.length, boundary);
    ordered.forEach((req, i) => {
      const part = parts[i]!;
      try {
        values.set(factKey(req), req.fact.parse(part, req.args));
      } catch (error) {
        const msg = errorMessage(error);
        values.set(factKey(req), new FactError(`fact ${req.fact.name}(${req.args.join(" ")}): ${msg}`));
      }
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
