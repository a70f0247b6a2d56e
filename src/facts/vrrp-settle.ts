// Waits (read-only) until VRRP had time to settle on this director: returns as
// soon as the host holds the VIP, or once keepalived has run for SECONDS (the
// master-down interval: 3 × advert_int + skew), so a just-started keepalived is
// not judged before its first election. Not volatile: it only waits while
// keepalived is younger than SECONDS, so reading it ahead costs nothing in a
// converged run, and any change this run makes (a restart) invalidates it.
import type { Fact } from "../engine/types.js";

// Process age from /proc with the shell's own read (start time is field 22, in
// USER_HZ = 100 ticks): `ps -o etimes` cost two processes per look.
const SCRIPT = `pid=$(pgrep -o -x keepalived); n=0
age() { [ -n "$pid" ] && read -r st 2>/dev/null </proc/"$pid"/stat && read -r up _ </proc/uptime &&
  set -- $st && echo $(( \${up%.*} - \${22} / 100 )); }
held=1
while ! ip -4 -o addr show dev "$3" to "$1/32" | grep -q .; do
  up=$(age)
  [ -n "$up" ] && [ "$up" -lt "$2" ] || { held=0; break; }
  sleep 0.2; n=$((n+1))
done
echo "$n"
echo "held=$held"
a=$(age) && echo "uptime=$a"`;

export interface VrrpSettleFact {
  /** Seconds waited for VRRP. */
  readonly waitedSec: number;
  /** Whether this director held the VIP when the wait ended (null: not reported). */
  readonly held: boolean | null;
  /** How long this director's keepalived has run (null: not running). */
  readonly keepalivedUptimeSec: number | null;
}

export const vrrpSettleFact: Fact<VrrpSettleFact> = {
  name: "vrrp.settle",
  command: ([vip = "", seconds = "5", iface = ""]) => ({
    argv: ["sh", "-c", SCRIPT, "sh", vip, seconds, iface],
    timeoutSec: Number(seconds) + 10,
  }),
  parse: (r) => {
    const uptime = /^uptime=(\d+)$/m.exec(r.stdout)?.[1];
    const held = /^held=([01])$/m.exec(r.stdout)?.[1];
    return {
      waitedSec: Number(r.stdout.split("\n")[0]?.trim() || "0") * 0.2,
      held: held === undefined ? null : held === "1",
      keepalivedUptimeSec: uptime === undefined ? null : Number(uptime),
    };
  },
};
