// `lvsplay probe` flags → ProbeSettings, with usage errors that name the flag.
import { UsageError } from "../errors.js";
import type { ProbeSettings, ServerFrom } from "./types.js";

export interface ProbeFlags {
  readonly requests: string;
  readonly rate: string;
  readonly concurrency: string;
  readonly timeout: string;
  readonly keepalive?: boolean;
  readonly serverFrom: string;
}

function number(flag: string, value: string, min: number, max: number, integer: boolean): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n)))
    throw new UsageError(
      `${flag}: expected ${integer ? "an integer" : "a number"} ${min}-${max}, found ${JSON.stringify(value)}`,
    );
  return n;
}

export function parseServerFrom(value: string): ServerFrom {
  if (value === "body") return { kind: "body" };
  if (value.startsWith("header:") && /^header:[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(value))
    return { kind: "header", name: value.slice("header:".length) };
  if (value.startsWith("body-match:")) {
    const pattern = value.slice("body-match:".length);
    try {
      new RegExp(pattern);
    } catch (e) {
      throw new UsageError(`--server-from: bad regular expression: ${e instanceof Error ? e.message : e}`);
    }
    return { kind: "body-match", pattern };
  }
  throw new UsageError(
    `--server-from: expected body, header:NAME or body-match:REGEX, found ${JSON.stringify(value)}`,
  );
}

export function probeSettings(urlText: string, flags: ProbeFlags): ProbeSettings {
  let url: URL;
  try {
    url = new URL(urlText);
  } catch {
    throw new UsageError(`URL: expected http://HOST[:PORT]/PATH, found ${JSON.stringify(urlText)}`);
  }
  if (url.protocol !== "http:") throw new UsageError(`URL: only http:// is supported, found ${url.protocol}`);
  return {
    url: url.toString(),
    requests: number("--requests", flags.requests, 1, 10_000_000, true),
    rate: number("--rate", flags.rate, 0.01, 100_000, false),
    concurrency: number("--concurrency", flags.concurrency, 1, 10_000, true),
    mode: flags.keepalive ? "keep-alive" : "new-connection",
    timeoutMs: Math.round(number("--timeout", flags.timeout, 0.001, 3600, false) * 1000),
    serverFrom: parseServerFrom(flags.serverFrom),
  };
}

/** --max-failures: how many failed requests still count as success (exit 0). */
export const parseMaxFailures = (value: string): number =>
  number("--max-failures", value, 0, 10_000_000, true);
