// On hosts where firewalld runs, its default zone drops VRRP (IP protocol 112)
// and unlisted ports: directors would both become MASTER and real servers
// would drop the forwarded requests. Open exactly what LVS needs, runtime and
// permanent.
import { z } from "zod";
import { type Change, factRequest, type Operation, type Plan, unchanged } from "../../engine/types.js";
import { firewalldFact } from "../../facts/firewalld.js";
import { isDirector, isRealServer, lvsOf } from "./shared.js";

const Args = z.strictObject({});

export const firewalldOpenOperation: Operation<z.infer<typeof Args>> = {
  name: "lvs.firewalld_open",
  description: "where firewalld runs: allow VRRP on directors and the service ports on real servers",
  parseArgs: (raw) => Args.parse(raw ?? {}),
  facts: ({ host }) => (isDirector(host) || isRealServer(host) ? [factRequest(firewalldFact)] : []),
  plan: ({ host, inventory, facts }): Plan => {
    if (!isDirector(host) && !isRealServer(host))
      return { changes: [], skipped: "neither director nor real server" };
    const fw = facts.get(factRequest(firewalldFact));
    if (!fw.running) return { changes: [], skipped: "firewalld is not running" };
    const want: { flag: string; value: string }[] = [];
    if (isDirector(host)) want.push({ flag: "--add-protocol", value: "vrrp" });
    if (isRealServer(host)) {
      for (const svc of lvsOf(inventory).services) {
        for (const port of svc.ports) want.push({ flag: "--add-port", value: `${port}/${svc.protocol}` });
      }
    }
    const changes: Change[] = [];
    for (const { flag, value } of [...new Map(want.map((w) => [w.value, w])).values()]) {
      if (!fw.runtimeOpen.includes(value)) {
        changes.push({
          kind: "command",
          summary: `firewalld runtime: allow ${value}`,
          command: { argv: ["firewall-cmd", `${flag}=${value}`], become: true, timeoutSec: 60 },
        });
      }
      if (!fw.permanentOpen.includes(value)) {
        changes.push({
          kind: "command",
          summary: `firewalld permanent: allow ${value}`,
          command: {
            argv: ["firewall-cmd", "--permanent", `${flag}=${value}`],
            become: true,
            timeoutSec: 60,
          },
        });
      }
    }
    return changes.length > 0
      ? { changes }
      : unchanged(`firewalld allows ${want.map((w) => w.value).join(", ")}`);
  },
};
