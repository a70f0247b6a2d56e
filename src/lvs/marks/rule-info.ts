// A mark rule taken apart into what the loop analysis needs to decide whether
// a packet matches it.
import { normaliseMac } from "../directors.js";
import { splitRule } from "./tokens.js";

export interface MacCondition {
  readonly negated: boolean;
  readonly mac: string;
}

export interface SetCondition {
  readonly negated: boolean;
  readonly name: string;
  /** "src", "dst", "src,src", … */
  readonly flags: string;
}

export interface MarkRuleInfo {
  readonly chain: string;
  /** Destination as printed (`7.7.7.100/32`); absent = any. */
  readonly destination?: string;
  readonly destinationNegated?: boolean;
  /** Absent = any protocol. */
  readonly protocol?: string;
  /** Inclusive ranges; absent = any port. */
  readonly ports?: readonly (readonly [number, number])[];
  readonly macs: readonly MacCondition[];
  readonly sets: readonly SetCondition[];
  readonly comment?: string;
  /** `-j` target (MARK, RETURN, …); absent when the rule has none. */
  readonly target?: string;
  /** Set by `-j MARK --set-xmark V/0xffffffff`; absent for other targets. */
  readonly mark?: number;
  /** Options the analysis does not understand (it then assumes they match). */
  readonly unknown: readonly string[];
}

const parsePorts = (spec: string): [number, number][] =>
  spec.split(",").map((part) => {
    const [a, b] = part.split(":");
    const lo = Number(a);
    return [lo, b === undefined ? lo : Number(b)];
  });

/** Parse one `-A CHAIN …` line as iptables-save prints it. */
export function parseMarkRule(line: string): MarkRuleInfo {
  const argv = splitRule(line.trim());
  let chain = "";
  let destination: string | undefined;
  let destinationNegated: boolean | undefined;
  let protocol: string | undefined;
  let ports: [number, number][] | undefined;
  let comment: string | undefined;
  let mark: number | undefined;
  const macs: MacCondition[] = [];
  const sets: SetCondition[] = [];
  const unknown: string[] = [];
  let negated = false;
  let target = "";

  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i]!;
    const next = (): string => argv[++i] ?? "";
    if (tok === "!") {
      negated = true;
      continue;
    }
    switch (tok) {
      case "-A":
        chain = next();
        break;
      case "-d":
        destination = next();
        destinationNegated = negated;
        break;
      case "-p":
        protocol = next();
        if (negated) unknown.push(`! -p ${protocol}`);
        break;
      case "-m":
        next(); // module names carry no condition by themselves
        break;
      case "--dport":
      case "--dports":
        ports = parsePorts(next());
        if (negated) unknown.push(`! ${tok}`);
        break;
      case "--mac-source":
        macs.push({ negated, mac: normaliseMac(next()) });
        break;
      case "--match-set":
        sets.push({ negated, name: next(), flags: next() });
        break;
      case "--comment":
        comment = next();
        break;
      case "-j":
        target = next();
        break;
      case "--set-xmark": {
        const [value, mask] = next().split("/");
        if (target === "MARK" && (mask === undefined || Number(mask) === 0xffffffff)) mark = Number(value);
        else unknown.push(`${tok} ${value}/${mask}`);
        break;
      }
      default:
        unknown.push(tok);
    }
    negated = false;
  }
  return {
    chain,
    macs,
    sets,
    unknown,
    ...(destination !== undefined && { destination, destinationNegated: destinationNegated ?? false }),
    ...(protocol !== undefined && { protocol }),
    ...(ports !== undefined && { ports }),
    ...(comment !== undefined && { comment }),
    ...(mark !== undefined && { mark }),
    ...(target !== "" && { target }),
  };
}
