// What the loop analysis knows about each director: how it marks packets and
// which IPVS virtual services it runs. Built from desired state (before apply)
// or from live state (parsed iptables-save + ipvsadm) by the caller.
import type { Protocol } from "../../inventory/model.js";
import { type DirectorFacts, normaliseMac, type RealServer } from "../directors.js";
import { type MarkRuleInfo, parseMarkRule } from "../marks/rule-info.js";

export type VirtualService =
  | { readonly kind: "fwmark"; readonly mark: number; readonly realServers: readonly string[] }
  | {
      readonly kind: "vip";
      readonly vip: string;
      readonly protocol: Protocol;
      readonly port: number;
      readonly realServers: readonly string[];
    };

export interface LoopDirector {
  readonly name: string;
  /** Source MAC of packets this director forwards. */
  readonly mac: string;
  /** Real server address that reaches this director. */
  readonly address: string;
  /** Mangle PREROUTING rules in evaluation order (our chain's rules, flattened). */
  readonly markRules: readonly MarkRuleInfo[];
  readonly services: readonly VirtualService[];
  /** ipset name → members (MACs) on this host, for `-m set` matches. */
  readonly ipsets?: Readonly<Record<string, readonly string[]>>;
}

export interface LoopModel {
  readonly directors: readonly LoopDirector[];
  /** Address → display name for real servers that are not directors. */
  readonly names?: Readonly<Record<string, string>>;
}

/** A director in the model from its facts, its chain rule lines and its virtual services. */
export function loopDirector(
  facts: DirectorFacts,
  chainRules: readonly string[],
  services: readonly VirtualService[],
  ipsets?: Readonly<Record<string, readonly string[]>>,
): LoopDirector {
  return {
    name: facts.name,
    mac: normaliseMac(facts.mac),
    address: facts.address,
    markRules: chainRules.map(parseMarkRule),
    services,
    ...(ipsets !== undefined && { ipsets }),
  };
}

/** The fwmark virtual services lvsplay renders for a director (service → mark). */
export const fwmarkServices = (
  marks: Readonly<Record<string, number>>,
  realServers: readonly RealServer[],
): VirtualService[] =>
  Object.values(marks).map((mark) => ({
    kind: "fwmark",
    mark,
    realServers: realServers.map((r) => r.address),
  }));

/** Address → name map for the non-director real servers (nicer paths). */
export const realServerNamesByAddress = (realServers: readonly RealServer[]): Record<string, string> =>
  Object.fromEntries(realServers.map((r) => [r.address, r.name]));
