// IPVS sync daemons keepalived left running. keepalived starts the kernel's
// sync daemons for its lvs_sync_daemon line and switches them with every VRRP
// transition, but a reload that removes the line leaves them running: its
// reload acts only when the new configuration has one (vrrp_daemon.c,
// reload_vrrp_thread), and its shutdown then stops nothing either. Found on the
// real IPVS kernel by turning lvs.connection_sync off: the MASTER kept its
// master daemon, the others their backup daemons — and with backup_only=1 (set
// by connection_sync, live until reboot) a director running the backup daemon
// passes every packet to its local stack, even after it becomes MASTER: the
// VIP would answer only with that director's own real server.
// So when no keepalived configuration on the host asks for a sync daemon,
// lvsplay stops those that run. Each stop first looks again: under a rolling
// apply the drain may have stopped keepalived (and with it the daemon) between
// the plan and this change. The audit classifies these changes from their
// cause (audit/classify.ts, "ipvs-sync-daemon": critical).
import { cause } from "../../engine/cause.js";
import type { Change } from "../../engine/types.js";
import type { IpvsFact } from "../../facts/ipvs.js";

/** $1: master | backup. Stops that daemon if it still runs. */
const STOP_IF_RUNNING =
  'ipvsadm -L --daemon 2>/dev/null | grep -q "^$1 sync daemon" || exit 0; exec ipvsadm --stop-daemon "$1"';

export function staleSyncDaemonChanges(asked: boolean, ipvs: IpvsFact): Change[] {
  if (asked || !ipvs.available) return [];
  const running = (["master", "backup"] as const).filter((d) => ipvs.syncDaemons[d]);
  return running.map((daemon) => ({
    kind: "command",
    cause: cause("ipvs-sync-daemon", daemon),
    summary: `stop the IPVS ${daemon} sync daemon no keepalived configuration asks for (left running after lvs_sync_daemon was removed)`,
    command: {
      argv: ["sh", "-c", STOP_IF_RUNNING, "lvsplay-stop-syncd", daemon],
      become: true,
      timeoutSec: 30,
    },
    before: `${daemon} sync daemon running`,
    after: `no ${daemon} sync daemon`,
  }));
}
