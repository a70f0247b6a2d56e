// Reading `nft -j list ruleset`: our table (set, chain, rules taken apart into
// mark specs), and the marks every other rule sets, so mark allocation avoids
// them (the nftables side of the foreign-mark check; iptables-save is the other).

import { MARK_CHAIN } from "./chain.js";
import { NFT_CHAIN, NFT_FAMILY, NFT_SET, NFT_TABLE, type NftMarkRule, type NftOurTable } from "./nft.js";
import { FIREWALLD_PEER_SET, type MarkRuleSpec } from "./spec.js";

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === "number" ? v : undefined);

export interface NftRulesetView {
  /** `table inet lvsplay`, or null when absent. */
  readonly ours: NftOurTable | null;
  /** Marks set (meta mark / ct mark) by rules outside our table and outside lvsplay's other layouts. */
  readonly foreignMarks: readonly number[];
  /** Where foreignMarks come from, for messages. */
  readonly foreignMarkRules: readonly string[];
}

/** `{"payload": {"protocol": P, "field": F}}` → "P F". */
function payloadKey(left: unknown): string | undefined {
  if (!isObj(left)) return undefined;
  const p = left["payload"];
  if (isObj(p)) return `${str(p["protocol"]) ?? "?"} ${str(p["field"]) ?? "?"}`;
  const m = left["meta"];
  if (isObj(m)) return `meta ${str(m["key"]) ?? "?"}`;
  return undefined;
}

const portsOf = (right: unknown): number[] | undefined => {
  const single = num(right);
  if (single !== undefined) return [single];
  if (isObj(right) && Array.isArray(right["set"])) {
    const ports = right["set"].map(num);
    return ports.every((p): p is number => p !== undefined) ? ports : undefined;
  }
  return undefined;
};

/** The mark a `mangle` statement sets on meta/ct mark, if it is a plain number. */
function setMark(stmt: unknown): { key: string; value: number } | undefined {
  if (!isObj(stmt) || !isObj(stmt["mangle"])) return undefined;
  const { key, value } = stmt["mangle"];
  if (!isObj(key)) return undefined;
  const meta = isObj(key["meta"]) ? str(key["meta"]["key"]) : undefined;
  const ct = isObj(key["ct"]) ? str(key["ct"]["key"]) : undefined;
  const v = num(value);
  if (v === undefined || v === 0) return undefined;
  if (meta === "mark") return { key: "meta mark", value: v };
  if (ct === "mark") return { key: "ct mark", value: v };
  return undefined;
}

/** One of our rules back into a spec, when it has exactly the shape nftRuleLine writes. */
export function parseOurRule(expr: readonly unknown[], comment: string | undefined): NftMarkRule {
  let vip: string | undefined;
  let protocol: "tcp" | "udp" | undefined;
  let ports: number[] | undefined;
  let excludesPeers = false;
  let mark: number | undefined;
  for (const e of expr) {
    const mk = setMark(e);
    if (mk?.key === "meta mark") {
      mark = mk.value;
      continue;
    }
    if (!isObj(e) || !isObj(e["match"])) return null;
    const { op, left, right } = e["match"];
    const key = payloadKey(left);
    if (key === "ip daddr" && op === "==" && typeof right === "string") vip = right;
    else if ((key === "tcp dport" || key === "udp dport") && op === "==") {
      protocol = key === "tcp dport" ? "tcp" : "udp";
      ports = portsOf(right);
    } else if (key === "ether saddr" && op === "!=" && right === `@${NFT_SET}`) excludesPeers = true;
    else return null;
  }
  const service = comment?.startsWith("lvsplay:") ? comment.slice("lvsplay:".length) : undefined;
  if (!vip || !protocol || !ports || !excludesPeers || mark === undefined || service === undefined)
    return null;
  return { service, vip, protocol, ports, mark } satisfies MarkRuleSpec;
}

const elementsOf = (elem: unknown): string[] =>
  (Array.isArray(elem) ? elem : elem === undefined ? [] : [elem]).map((e) =>
    typeof e === "string" ? e.toLowerCase() : JSON.stringify(e),
  );

/** Does this rule of another table belong to a layout lvsplay writes (iptables-nft chain, firewalld rich rule)? */
function isOursElsewhere(family: string, table: string, chain: string, expr: readonly unknown[]): boolean {
  if (family === "ip" && table === "mangle" && chain === MARK_CHAIN) return true;
  return expr.some((e) => isObj(e) && isObj(e["match"]) && e["match"]["right"] === `@${FIREWALLD_PEER_SET}`);
}

export function parseNftRuleset(jsonText: string): NftRulesetView {
  const root: unknown = JSON.parse(jsonText);
  const items = isObj(root) && Array.isArray(root["nftables"]) ? root["nftables"] : [];
  let tableSeen = false;
  let set: NftOurTable["set"] = null;
  let chain: NftOurTable["chain"] = null;
  const rules: NftMarkRule[] = [];
  const others: string[] = [];
  const foreignMarks = new Set<number>();
  const foreignMarkRules: string[] = [];
  const inOurs = (o: Json) => str(o["family"]) === NFT_FAMILY && str(o["table"]) === NFT_TABLE;

  for (const item of items) {
    if (!isObj(item)) continue;
    const table = item["table"];
    if (isObj(table) && str(table["family"]) === NFT_FAMILY && str(table["name"]) === NFT_TABLE)
      tableSeen = true;
    for (const kind of ["set", "map", "chain", "flowtable", "counter", "quota"]) {
      const o = item[kind];
      if (!isObj(o) || !inOurs(o)) continue;
      const name = str(o["name"]) ?? "";
      if (kind === "set" && name === NFT_SET)
        set = { type: str(o["type"]) ?? JSON.stringify(o["type"]), elements: elementsOf(o["elem"]) };
      else if (kind === "chain" && name === NFT_CHAIN)
        chain = {
          type: str(o["type"]) ?? "",
          hook: str(o["hook"]) ?? "",
          prio: num(o["prio"]) ?? Number.NaN,
          policy: str(o["policy"]) ?? "",
        };
      else others.push(`${kind} ${name}`);
    }
    const rule = item["rule"];
    if (!isObj(rule)) continue;
    const expr = Array.isArray(rule["expr"]) ? rule["expr"] : [];
    const family = str(rule["family"]) ?? "";
    const tableName = str(rule["table"]) ?? "";
    const chainName = str(rule["chain"]) ?? "";
    if (inOurs(rule)) {
      if (chainName === NFT_CHAIN) rules.push(parseOurRule(expr, str(rule["comment"])));
      continue;
    }
    if (isOursElsewhere(family, tableName, chainName, expr)) continue;
    for (const e of expr) {
      const mk = setMark(e);
      if (!mk) continue;
      foreignMarks.add(mk.value);
      foreignMarkRules.push(
        `nft ${family} ${tableName} ${chainName}: ${mk.key} set 0x${mk.value.toString(16)}`,
      );
    }
  }
  return {
    ours: tableSeen ? { set, chain, rules, others } : null,
    foreignMarks: [...foreignMarks].sort((a, b) => a - b),
    foreignMarkRules,
  };
}
