// Stage 5 — lvsplay's keepalived file (VRRP + fwmark virtual servers) and the
// one include line that joins it to the host's main keepalived.conf, whose
// other bytes stay untouched. Each file is installed safely: temp file →
// `keepalived -t` of the combination on the host → backup → atomic rename; the
// reload handler is notified only when something changed. The two files go in
// the order that keeps every intermediate state one keepalived -t accepted.
// IPVS sync daemons no configuration asks for any more are stopped
// (stale-sync-daemons.ts: keepalived leaves them running).
import { z } from "zod";
import { cause, inPlace } from "../../engine/cause.js";
import type { DriftNote } from "../../engine/drift.js";
import { type Change, factRequest, type Operation, type Plan } from "../../engine/types.js";
import { fileFact, sameMode } from "../../facts/file.js";
import { iptablesFact } from "../../facts/iptables.js";
import { ipvsFact } from "../../facts/ipvs.js";
import { contentOf, keepalivedConfigFact } from "../../facts/keepalived-config.js";
import { osFact } from "../../facts/os.js";
import { topologyGuard } from "../../lvs/index.js";
import { reloadInPlace } from "../../lvs/keepalived/in-place.js";
import { DATA_PLANE, directorsOf, MARK_PLAN, selfOf } from "./data-keys.js";
import { drainFilePresent, drainFileRequests, drainLeftBehindChanges } from "./drain-left-behind.js";
import { daemonConfigError, keepalivedFiles, VALIDATE_MAIN, VALIDATE_WITH_MAIN } from "./keepalived-files.js";
import { hookFactRequests, hookProblems } from "./keepalived-hooks.js";
import { DAEMON_OPTIONS } from "./keepalived-mode.js";
import { isDirector, lvsOf } from "./shared.js";
import { staleSyncDaemonChanges } from "./stale-sync-daemons.js";

const Args = z.strictObject({});

const OWN_MODE = "0640";

export const keepalivedConfigRequest = (inventory: Parameters<typeof lvsOf>[0]) => {
  const { configPath, ownPath } = lvsOf(inventory).keepalived;
  return factRequest(keepalivedConfigFact, configPath, ownPath);
};

/** What rendering a director's keepalived file needs: every director's data plane, its own marks. */
export const keepalivedNeeds = (host: string, inventory: Parameters<typeof directorsOf>[1]) => [
  directorsOf(DATA_PLANE, inventory),
  selfOf(MARK_PLAN, host),
];

export const daemonOptionRequests = [
  factRequest(osFact),
  factRequest(fileFact, DAEMON_OPTIONS.debian.path),
  factRequest(fileFact, DAEMON_OPTIONS.rhel.path),
];

export const keepalivedOperation: Operation<z.infer<typeof Args>> = {
  name: "lvs.keepalived",
  description:
    "render lvsplay's keepalived file (VRRP + fwmark virtual servers), include it once from keepalived.conf, validate the combination on the host, install atomically",
  argsSchema: Args,
  parseArgs: (raw) => Args.parse(raw ?? {}),
  mayCause: () => [cause("keepalived-config"), cause("ipvs-sync-daemon"), cause("drain-left-behind")],
  facts: ({ host, inventory }) =>
    isDirector(host)
      ? [
          keepalivedConfigRequest(inventory),
          factRequest(iptablesFact),
          factRequest(ipvsFact),
          ...daemonOptionRequests,
          ...hookFactRequests(host, inventory),
          ...drainFileRequests(inventory),
        ]
      : [],
  consumes: ({ host, inventory }) => (isDirector(host) ? keepalivedNeeds(host.name, inventory) : []),
  plan: ({ host, inventory, facts, data }): Plan => {
    if (!isDirector(host)) return { changes: [], skipped: "not a director" };
    const { configPath: main, ownPath: own } = lvsOf(inventory).keepalived;
    const leftBehind = drainLeftBehindChanges(drainFilePresent(inventory, facts));
    const guard = topologyGuard(inventory);
    if (guard.errors.length > 0) return { changes: [], error: guard.errors.join("; ") };

    const daemonError = daemonConfigError(inventory, facts.get(factRequest(osFact)), (path) =>
      facts.get(factRequest(fileFact, path)),
    );
    if (daemonError) return { changes: [], error: daemonError };

    const config = facts.get(keepalivedConfigRequest(inventory));
    const files = keepalivedFiles(
      host.name,
      inventory,
      data,
      config,
      facts.get(factRequest(iptablesFact)).mangle,
    );
    if ("error" in files) return { changes: [], error: files.error };
    const { coexist } = files;
    const notes = [...guard.warnings.map((w) => `WARNING: ${w}`), ...coexist.notes];
    const problems = [...coexist.errors, ...hookProblems(host, inventory, files.cfg.vrrp.interface, facts)];
    if (problems.length > 0) return { changes: [], error: problems.join("; "), notes };

    const ownState = config.files.find((f) => f.path === own);
    const ownBefore = contentOf(config, own) ?? null;
    const ownDiffers =
      ownBefore !== files.own || !sameMode(OWN_MODE, ownState?.state === "file" ? ownState.mode : null);
    const mainDiffers = coexist.mainAfter !== coexist.mainBefore;
    // Asked for by lvsplay's file (connection_sync) or by the host's own configuration.
    const syncAsked =
      files.cfg.syncDaemon !== undefined || (coexist.view?.foreign.syncDaemons.length ?? 0) > 0;
    // After the files: with them in place, the priority comes back under the new configuration.
    const stale = [...staleSyncDaemonChanges(syncAsked, facts.get(factRequest(ipvsFact))), ...leftBehind];
    if (!ownDiffers && !mainDiffers)
      return { changes: stale, notes: [...notes, `${own} and its include in ${main} are up to date`] };

    const drift: DriftNote = {
      kind: "keepalived-config",
      severity: "high",
      summary: `${host.name}: ${[
        ...(ownDiffers ? [`${own} differs from the configuration rendered from the inventory`] : []),
        ...(coexist.mainDrift ? [coexist.mainDrift] : []),
      ].join("; ")}`,
      expected: `${own} rendered from the inventory, included once from ${main}`,
      actual: [
        ...(ownDiffers ? [ownBefore === null ? `${own}: missing` : `${own}: differs (see diff)`] : []),
        ...(coexist.mainDrift ? [coexist.mainDrift] : []),
      ].join("\n"),
    };
    const ownChange: Change = {
      kind: "file",
      // Only the virtual servers differ (and the include line stays): a reload edits them in place.
      cause: inPlace(
        cause("keepalived-config"),
        mainDiffers ? undefined : reloadInPlace(ownBefore, files.own, config.version),
      ),
      summary: `install ${own}`,
      path: own,
      before: ownBefore,
      after: files.own,
      mode: OWN_MODE,
      // keepalived -t returns 0 for a missing or empty file; the installer validates the written temp file.
      validate: coexist.includedBefore
        ? ["sh", "-c", VALIDATE_WITH_MAIN, "lvsplay-validate", main, own, "{}"]
        : ["keepalived", "-t", "-f", "{}"],
      backup: ownBefore !== null,
      drift,
    };
    const mainState = config.files.find((f) => f.path === main);
    const mainChange: Change = {
      kind: "file",
      cause: cause("keepalived-config"),
      summary:
        coexist.adopted.length > 0
          ? `replace the hand-made blocks for the VIP in ${main} and include ${own}`
          : `include ${own} once from ${main}`,
      path: main,
      before: coexist.mainBefore,
      after: coexist.mainAfter,
      // The host's file keeps its mode.
      mode: mainState?.state === "file" ? mainState.mode.padStart(4, "0") : OWN_MODE,
      validate: ["sh", "-c", VALIDATE_MAIN, "lvsplay-validate", "{}", main],
      backup: coexist.mainBefore !== null,
      drift,
    };
    // Main first when it already includes lvsplay's file: every step is then a combination
    // keepalived -t accepted. Otherwise lvsplay's file first (nothing includes it yet).
    const ordered = coexist.includedBefore ? [mainChange, ownChange] : [ownChange, mainChange];
    // The stale daemons last: the reload handler runs after the stage, with the new configuration.
    const changes = [...ordered.filter((c) => (c === ownChange ? ownDiffers : mainDiffers)), ...stale];
    return { changes, notes };
  },
};
