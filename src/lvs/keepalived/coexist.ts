// How lvsplay's keepalived configuration joins the host's: lvsplay owns one
// file (lvsplay.conf) and exactly one `include` line in the main file; every
// other byte of the host's configuration stays as it is. Decided here, purely,
// from the host's files (facts/keepalived-config.ts):
// - collisions with the host's own configuration (VRID on the same interface,
//   fwmarks, names) are errors before anything changes;
// - blocks that already serve lvsplay's VIP by hand (the seed article's layout)
//   are never run next to lvsplay's: they are replaced only when the inventory
//   opts in (lvs.keepalived.adopt), otherwise the plan stops and says why;
// - blocks an older lvsplay rendered into the main file move to lvsplay.conf.
import { assertCharset, KEEPALIVED_PATH } from "../../config/charsets.js";
import type { KeepalivedConfigFact } from "../../facts/keepalived-config.js";
import { planAdoption } from "./adoption.js";
import { type ConfigView, hasGlobMagic, includesPath, viewConfig } from "./config-view.js";
import { at, describeInstance, describeVirtualServer } from "./content.js";
import type { IncludeRef } from "./syntax.js";

/** What lvsplay renders into its own file, as far as coexistence is concerned. */
export interface OwnConfig {
  readonly instanceName: string;
  readonly vrid: number;
  readonly iface: string;
  readonly vips: readonly string[];
  readonly services: readonly {
    readonly vip: string;
    readonly protocol: string;
    readonly ports: readonly number[];
  }[];
  readonly marks: readonly number[];
  readonly scriptNames: readonly string[];
  readonly usesScripts: boolean;
  /** lvsplay's file runs keepalived's IPVS sync daemon (lvs.connection_sync). */
  readonly syncsConnections: boolean;
}

export interface CoexistInput {
  readonly fact: KeepalivedConfigFact;
  readonly own: OwnConfig;
  readonly adopt: boolean;
  /** Marks that mangle rules lvsplay does not own set, with the destinations they mark. */
  readonly foreignMarkTargets: ReadonlyMap<number, readonly string[]>;
}

export interface CoexistPlan {
  readonly errors: readonly string[];
  readonly notes: readonly string[];
  /** Null: the main file does not exist. */
  readonly mainBefore: string | null;
  /** Equal to mainBefore when the main file needs no change. */
  readonly mainAfter: string;
  /** The main file includes lvsplay's file already: the two are validated together. */
  readonly includedBefore: boolean;
  /** lvsplay's file carries these global_defs (the host's configuration sets none). */
  readonly renderRouterId: boolean;
  readonly renderScriptSecurity: boolean;
  /** Hand-made blocks replaced by lvsplay's (adoption), described for messages. */
  readonly adopted: readonly string[];
  /** What the include line or the main file lacks, in operator language (null: nothing). */
  readonly mainDrift: string | null;
  readonly view: ConfigView | null;
}

/** The one line lvsplay writes into the host's main file; the path is checked again here, as every renderer does. */
export const includeLine = (own: string): string =>
  `include ${assertCharset(KEEPALIVED_PATH, own, "keepalived.conf: include line")}`;

export function stubMain(own: string): string {
  return [
    "# keepalived configuration. lvsplay keeps its VRRP instance and virtual servers in",
    `# ${own} and only makes sure this file includes it once: add your own`,
    "# configuration here or in other included files, lvsplay leaves it alone.",
    includeLine(own),
    "",
  ].join("\n");
}

interface Range {
  start: number;
  end: number;
}

/** Removes ranges, and one blank line after a removed block when one was before it too. */
function cut(text: string, ranges: readonly Range[]): string {
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  let out = "";
  let pos = 0;
  for (const r of sorted) {
    if (r.start < pos) {
      pos = Math.max(pos, r.end);
      continue;
    }
    out += text.slice(pos, r.start);
    pos = r.end;
    const blankBefore = out === "" || out.endsWith("\n\n");
    if (blankBefore && text[pos] === "\n") pos++;
  }
  return out + text.slice(pos);
}

/** The upstream sample keepalived.conf some distributions install (router_id LVS_DEVEL, VI_1 on 192.168.200.16). */
const isDistributionSample = (view: ConfigView, main: string): boolean =>
  view.foreign.routerIds.some((r) => r.value === "LVS_DEVEL" && r.file === main) &&
  view.foreign.instances.some((i) => i.name === "VI_1" && i.addresses.includes("192.168.200.16"));

function fileProblems(fact: KeepalivedConfigFact): string[] {
  const errors: string[] = [];
  for (const f of fact.files) {
    const role =
      f.path === fact.main ? "the main keepalived file" : f.path === fact.own ? "lvsplay's file" : "";
    if (f.state === "symlink")
      errors.push(
        `${f.path} (${role}) is a symlink: lvsplay replaces files, not links (point it at the real file)`,
      );
    else if (f.state === "notafile") errors.push(`${f.path} exists but is not a regular file`);
    else if (f.state === "unreadable") errors.push(`${f.path} could not be read`);
  }
  if (fact.truncated) errors.push("the keepalived configuration includes more files than lvsplay reads (64)");
  return errors;
}

export function planCoexistence(input: CoexistInput): CoexistPlan {
  const { fact, own, adopt } = input;
  const mainFile = fact.files.find((f) => f.path === fact.main);
  const mainBefore = mainFile?.state === "file" ? mainFile.content : null;
  const stub = stubMain(fact.own);
  const base = {
    mainBefore,
    renderRouterId: true,
    renderScriptSecurity: own.usesScripts,
    adopted: [] as string[],
    view: null,
  };
  const errors = fileProblems(fact);
  if (errors.length > 0)
    return {
      ...base,
      errors,
      notes: [],
      mainAfter: mainBefore ?? stub,
      includedBefore: false,
      mainDrift: null,
    };
  if (mainBefore === null)
    return {
      ...base,
      errors: [],
      notes: [`${fact.main} does not exist: created with the include line only`],
      mainAfter: stub,
      includedBefore: false,
      mainDrift: `${fact.main} is missing`,
    };

  const view = viewConfig(fact, own.instanceName);
  const notes: string[] = [];
  const foreign = view.foreign;
  const vips = new Set(own.vips);

  for (const p of view.parsed.problems) {
    const line = `${p.file}:${p.line}: ${p.message}`;
    if (/could not be followed|could not be read|a loop|deeper than/.test(p.message))
      errors.push(`${line}: lvsplay cannot see all of the host's keepalived configuration`);
    else notes.push(`${line} (keepalived -t still checks the combination before anything is installed)`);
  }

  // The upstream sample is an example, not configuration: replaced whole, as before.
  if (isDistributionSample(view, fact.main)) {
    return {
      ...base,
      errors,
      notes: [
        ...notes,
        `${fact.main} is keepalived's sample configuration (router_id LVS_DEVEL, VI_1 192.168.200.16-18): replaced (backup kept)`,
      ],
      mainAfter: stub,
      includedBefore: false,
      mainDrift: `${fact.main} is keepalived's sample configuration`,
      view,
    };
  }

  // Hand-made blocks for lvsplay's VIPs: adopted, or the plan stops (adoption.ts).
  const adoption = planAdoption({
    foreign,
    own,
    vips,
    foreignMarkTargets: input.foreignMarkTargets,
    main: fact.main,
    adopt,
  });
  errors.push(...adoption.errors);
  notes.push(...adoption.notes);
  const { adopted, candidateStatements } = adoption;
  const removals: Range[] = [...view.legacyComments];
  for (const s of view.legacy) if (s.span) removals.push(s.span);
  removals.push(...adoption.removals);

  // Collisions with what stays.
  for (const inst of foreign.instances) {
    if (candidateStatements.has(inst.statement)) continue;
    if (inst.name === own.instanceName)
      errors.push(`${describeInstance(inst)} has lvsplay's instance name ${own.instanceName}`);
    if (inst.vrid === null)
      errors.push(`cannot read the virtual_router_id of vrrp_instance ${inst.name} at ${at(inst)}`);
    else if (inst.vrid === own.vrid && (inst.iface === null || inst.iface === own.iface))
      errors.push(
        `VRID ${own.vrid} is already used on ${own.iface} by ${describeInstance(inst)}: choose another lvs.vrrp.virtual_router_id`,
      );
  }
  for (const vs of foreign.virtualServers) {
    if (candidateStatements.has(vs.statement) || vs.key.kind !== "fwmark") continue;
    if (own.marks.includes(vs.key.mark))
      errors.push(`fwmark ${vs.key.mark} is already used by ${describeVirtualServer(vs.key)} at ${at(vs)}`);
  }
  for (const s of foreign.vrrpScripts)
    if (own.scriptNames.includes(s.name))
      errors.push(`vrrp_script ${s.name} at ${at(s)} has a name lvsplay uses`);
  if (own.usesScripts && !foreign.scriptSecurity && foreign.scriptUses.length > 0)
    errors.push(
      `the host's configuration runs scripts (${foreign.scriptUses
        .slice(0, 3)
        .map((u) => `${u.keyword} at ${at(u)}`)
        .join(
          ", ",
        )}) without enable_script_security; lvsplay's hooks need it, and it would make keepalived ` +
        "refuse those scripts if they are writable by others: add enable_script_security to the host's global_defs yourself, or remove lvsplay's hooks",
    );

  // keepalived runs one sync daemon pair: a second lvs_sync_daemon line would silently replace one of them.
  const foreignSync = foreign.syncDaemons[0];
  if (own.syncsConnections && foreignSync)
    errors.push(
      `the host's configuration already runs an IPVS sync daemon (lvs_sync_daemon ${foreignSync.value} at ${at(foreignSync)}); keepalived runs only one: remove that line or set lvs.connection_sync: false`,
    );

  // The include lines.
  const refs = view.parsed.includes.filter((r) => includesPath(r, fact.own));
  const canonical = (r: IncludeRef) => r.file === fact.main && !r.nested && r.pattern === fact.own;
  for (const r of refs) {
    if (canonical(r)) continue;
    if (hasGlobMagic(r.pattern))
      errors.push(
        `include ${r.pattern} at ${r.file}:${r.line} also matches lvsplay's file ${fact.own}: it would be read twice; set lvs.keepalived.lvsplay_config to a path outside that pattern`,
      );
    else if (r.file !== fact.main || r.nested)
      errors.push(
        `${r.file}:${r.line} includes lvsplay's file ${fact.own}: remove that line (lvsplay keeps its one include line at the top level of ${fact.main})`,
      );
    else removals.push(r.span);
  }
  const canonicalRefs = refs.filter(canonical);
  for (const extra of canonicalRefs.slice(1)) removals.push(extra.span);

  let mainAfter = cut(mainBefore, removals);
  if (canonicalRefs.length === 0) {
    if (mainAfter.trim() === "") mainAfter = stub;
    else {
      if (!mainAfter.endsWith("\n")) mainAfter += "\n";
      if (!mainAfter.endsWith("\n\n")) mainAfter += "\n";
      mainAfter += `${includeLine(fact.own)}\n`;
    }
  }
  const mainDrift =
    mainAfter === mainBefore
      ? null
      : adopted.length > 0
        ? `${fact.main} has hand-made blocks for lvsplay's VIP`
        : view.legacy.size > 0
          ? `${fact.main} still holds lvsplay's configuration in the old single-file layout`
          : canonicalRefs.length === 0
            ? `${fact.main} does not include ${fact.own}: keepalived runs without lvsplay's instance after its next reload`
            : `${fact.main} includes ${fact.own} ${refs.length} times`;
  if (foreign.routerIds.length > 0)
    notes.push(
      `router_id ${foreign.routerIds[0]!.value} comes from the host's configuration (${at(foreign.routerIds[0]!)})`,
    );
  return {
    errors,
    notes,
    mainBefore,
    mainAfter,
    includedBefore: refs.length > 0,
    renderRouterId: foreign.routerIds.length === 0,
    renderScriptSecurity: own.usesScripts && !foreign.scriptSecurity,
    adopted,
    mainDrift,
    view,
  };
}
