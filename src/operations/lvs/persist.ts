// Stage 4 — persist the mark rules so a reboot does not re-open the loop:
// our chain merged into the iptables save file (other saved rules kept
// byte-for-byte), or permanent firewalld direct rules.
import { z } from "zod";
import { cause } from "../../engine/cause.js";
import { type Change, factRequest, type Operation, type Plan, unchanged } from "../../engine/types.js";
import { fileFact, sameMode } from "../../facts/file.js";
import { firewalldFact } from "../../facts/firewalld.js";
import { osFact } from "../../facts/os.js";
import {
  firewalldCommands,
  firewalldDirectRules,
  mergeIntoSavedRules,
  parseFirewalldDirectList,
} from "../../lvs/index.js";
import { MARK_PLAN, selfOf } from "./data-keys.js";
import { isDirector, lvsOf, resolveBackend, SAVE_FILE } from "./shared.js";

const Args = z.strictObject({});

export const persistOperation: Operation<z.infer<typeof Args>> = {
  name: "lvs.persist",
  description: "persist the mark rules (iptables save file or firewalld permanent direct rules)",
  parseArgs: (raw) => Args.parse(raw ?? {}),
  facts: ({ host }) =>
    isDirector(host)
      ? [
          factRequest(osFact),
          factRequest(firewalldFact),
          factRequest(fileFact, SAVE_FILE["rules.v4"]),
          factRequest(fileFact, SAVE_FILE.sysconfig),
        ]
      : [],
  consumes: ({ host }) => (isDirector(host) ? [selfOf(MARK_PLAN, host.name)] : []),
  plan: ({ host, inventory, facts, data }): Plan => {
    if (!isDirector(host)) return { changes: [], skipped: "not a director" };
    const lvs = lvsOf(inventory);
    const marks = data.get(MARK_PLAN, host.name);
    if (!marks)
      return {
        changes: [],
        error: "no mark rules were planned for this host (the marks stage did not succeed)",
      };
    const fw = facts.get(factRequest(firewalldFact));
    const backend = resolveBackend(lvs, facts.get(factRequest(osFact)), fw);

    if (backend === "firewalld") {
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
        command: { argv, become: true, timeoutSec: 60 },
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
