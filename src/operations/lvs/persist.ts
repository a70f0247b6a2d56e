// Stage 4 — persist the mark rules so a reboot does not re-open the loop: our
// chain merged into the iptables save file (other saved rules kept
// byte-for-byte), our nftables table included from the nftables.service
// config, or firewalld's permanent configuration (ipset + rich rules, or
// direct rules).
import { z } from "zod";
import { cause } from "../../engine/cause.js";
import { type Change, factRequest, type Operation, type Plan, unchanged } from "../../engine/types.js";
import { fileFact, sameMode } from "../../facts/file.js";
import {
  firewalldCommands,
  firewalldDirectRules,
  markRuleSpecs,
  mergeIntoSavedRules,
  NFT_PERSIST_PATHS,
  parseFirewalldDirectList,
} from "../../lvs/index.js";
import { firewallCmdArgv } from "../../lvs/marks/firewall-cmd.js";
import { DATA_PLANE, MARK_PLAN, selfOf } from "./data-keys.js";
import { firewalldRichPersistChanges, nftablesPersistChanges } from "./persist-backends.js";
import {
  backendFactRequests,
  backendFacts,
  firewalldZoneOf,
  isDirector,
  lvsOf,
  resolveBackend,
  SAVE_FILE,
} from "./shared.js";

const Args = z.strictObject({});

const nftPaths = (family: string) => (family === "rhel" ? NFT_PERSIST_PATHS.rhel : NFT_PERSIST_PATHS.debian);

export const persistOperation: Operation<z.infer<typeof Args>> = {
  name: "lvs.persist",
  description:
    "persist the mark rules (iptables save file, nftables include, or firewalld permanent ipset + rich rules)",
  argsSchema: Args,
  parseArgs: (raw) => Args.parse(raw ?? {}),
  facts: ({ host }) =>
    isDirector(host)
      ? [
          ...backendFactRequests(),
          factRequest(fileFact, SAVE_FILE["rules.v4"]),
          factRequest(fileFact, SAVE_FILE.sysconfig),
          ...Object.values(NFT_PERSIST_PATHS).flatMap((p) => [
            factRequest(fileFact, p.ours),
            factRequest(fileFact, p.conf),
          ]),
        ]
      : [],
  consumes: ({ host }) =>
    isDirector(host) ? [selfOf(MARK_PLAN, host.name), selfOf(DATA_PLANE, host.name)] : [],
  plan: ({ host, inventory, facts, data }): Plan => {
    if (!isDirector(host)) return { changes: [], skipped: "not a director" };
    const lvs = lvsOf(inventory);
    const marks = data.get(MARK_PLAN, host.name);
    if (!marks)
      return {
        changes: [],
        error: "no mark rules were planned for this host (the marks stage did not succeed)",
      };
    const bf = backendFacts(facts);
    const backend = resolveBackend(lvs, bf);
    const peers = marks.peerSet?.members ?? [];
    const specs = markRuleSpecs(lvs.services, marks.marks);

    if (backend === "nftables") {
      const paths = nftPaths(bf.os.family);
      const files = {
        ours: facts.get(factRequest(fileFact, paths.ours)),
        conf: facts.get(factRequest(fileFact, paths.conf)),
      };
      const { changes, notes } = nftablesPersistChanges(paths, specs, peers, files, bf.nftables);
      return changes.length > 0
        ? { changes, notes }
        : unchanged(`${paths.ours} holds the mark rules, included from ${paths.conf}`, ...notes);
    }

    if (backend === "firewalld") {
      const zone = firewalldZoneOf(bf.firewalld, data.get(DATA_PLANE, host.name)?.interface);
      const { changes, notes } = firewalldRichPersistChanges(
        bf.firewalld,
        zone,
        specs,
        peers,
        host.connection.timeoutScale,
      );
      return changes.length > 0
        ? { changes, notes }
        : unchanged(...(notes.length > 0 ? notes : ["firewalld permanent ipset and rich rules match"]));
    }

    if (backend === "firewalld-direct") {
      const fw = bf.firewalld;
      const live = {
        rules: parseFirewalldDirectList(fw.permanentRules.join("\n")),
        chains: parseFirewalldDirectList(fw.permanentChains.join("\n")),
      };
      const changes: Change[] = firewalldCommands(firewalldDirectRules(marks.rules), live, {
        permanent: true,
      }).map((argv) => ({
        kind: "command",
        cause: cause("persisted-rules"),
        summary: `firewalld permanent: ${argv.slice(3, 4).join(" ")} ${argv.slice(4).join(" ")}`,
        command: { argv: firewallCmdArgv(argv, host.connection.timeoutScale), become: true, timeoutSec: 60 },
      }));
      return changes.length > 0 ? { changes } : unchanged("firewalld permanent direct rules match");
    }

    const path = SAVE_FILE[backend];
    const current = facts.get(factRequest(fileFact, path));
    const after = mergeIntoSavedRules(current.content, marks.rules);
    const mode = current.mode ? `0${current.mode.slice(-3)}` : "0640";
    if (current.content === after && sameMode(mode, current.mode))
      return unchanged(`${path} holds the mark rules`);
    return {
      changes: [
        {
          kind: "file",
          cause: cause("persisted-rules"),
          summary: `persist mark rules in ${path}`,
          path,
          before: current.content,
          after,
          mode,
          validate: ["iptables-restore", "--test", "{}"],
          backup: current.exists,
        },
      ],
    };
  },
};
