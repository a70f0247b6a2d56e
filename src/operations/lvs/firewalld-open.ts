// On hosts where firewalld runs, its zones drop VRRP (IP protocol 112) and
// unlisted ports: directors would both become MASTER and real servers would
// drop the forwarded requests. Directors need the service ports open too, even
// when they serve nothing themselves: firewalld's input filter (priority 10 on
// its nftables back-end, 0 on iptables) runs before IPVS's LOCAL_IN hook
// (priority 98/99), so a closed port rejects every client packet before IPVS
// could schedule it. Open exactly what LVS needs, runtime and permanent, in the
// zone the data-plane interface is bound to (else the default zone). One change
// per opening and configuration; each runs as D-Bus calls where busctl read the
// facts (firewall-cmd cannot merge --add-protocol with --add-port anyway: it
// runs only the first kind it finds).
import { z } from "zod";
import { cause } from "../../engine/cause.js";
import { type Change, factRequest, type Operation, type Plan, unchanged } from "../../engine/types.js";
import { firewalldFact } from "../../facts/firewalld.js";
import { firewalldWrite } from "../../lvs/marks/firewalld-dbus.js";
import { DATA_PLANE, selfOf } from "./data-keys.js";
import { isDirector, isRealServer, lvsOf } from "./shared.js";

const Args = z.strictObject({});

/** The kernel's default port for IPVS sync messages (multicast group 224.0.0.81). */
export const IPVS_SYNC_PORT = 8848;

export const firewalldOpenOperation: Operation<z.infer<typeof Args>> = {
  name: "lvs.firewalld_open",
  description:
    "where firewalld runs: allow VRRP on directors and the service ports on directors and real servers",
  argsSchema: Args,
  parseArgs: (raw) => Args.parse(raw ?? {}),
  facts: ({ host }) => (isDirector(host) || isRealServer(host) ? [factRequest(firewalldFact)] : []),
  // Directors open VRRP in the zone of their data-plane interface.
  consumes: ({ host }) => (isDirector(host) ? [selfOf(DATA_PLANE, host.name)] : []),
  plan: ({ host, inventory, facts, data }): Plan => {
    if (!isDirector(host) && !isRealServer(host))
      return { changes: [], skipped: "neither director nor real server" };
    const fw = facts.get(factRequest(firewalldFact));
    if (!fw.running) return { changes: [], skipped: "firewalld is not running" };
    const want: { flag: string; value: string }[] = [];
    if (isDirector(host)) want.push({ flag: "--add-protocol", value: "vrrp" });
    // The backup's sync daemon receives the master's connection updates (multicast UDP).
    if (isDirector(host) && lvsOf(inventory).connectionSync)
      want.push({ flag: "--add-port", value: `${IPVS_SYNC_PORT}/udp` });
    for (const svc of lvsOf(inventory).services)
      for (const port of svc.ports) want.push({ flag: "--add-port", value: `${port}/${svc.protocol}` });
    // Open where the data plane arrives: the zone its interface is bound to, else the default zone.
    const iface = data.get(DATA_PLANE, host.name)?.interface ?? host.interface;
    const zone = fw.zones.find((z) => iface !== undefined && z.interfaces.includes(iface));
    const open = zone ?? fw;
    const zoneArgs = zone ? [`--zone=${zone.name}`] : [];
    const where = zone ? ` in zone ${zone.name} (${iface})` : "";
    const changes: Change[] = [];
    for (const { flag, value } of [...new Map(want.map((w) => [w.value, w])).values()]) {
      const allow = (config: "runtime" | "permanent"): Change => {
        const planned = ["firewall-cmd", ...(config === "permanent" ? ["--permanent"] : []), ...zoneArgs];
        const { argv, equivalent } = firewalldWrite(
          fw.busctl,
          [...planned, `${flag}=${value}`],
          host.connection.timeoutScale,
        );
        return {
          kind: "command",
          cause: cause("firewalld-port", value),
          summary: `firewalld ${config}: allow ${value}${where}`,
          command: { argv, become: true, timeoutSec: 60 },
          ...(equivalent ? { equivalent } : {}),
        };
      };
      if (!open.runtimeOpen.includes(value)) changes.push(allow("runtime"));
      if (!open.permanentOpen.includes(value)) changes.push(allow("permanent"));
    }
    return changes.length > 0
      ? { changes }
      : unchanged(`firewalld allows ${want.map((w) => w.value).join(", ")}`);
  },
};
