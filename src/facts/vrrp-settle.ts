// Waits (read-only) until VRRP had time to settle on this director: returns as
// soon as the host holds the VIP, or once keepalived has run its current VRRP
// configuration for SECONDS (the master-down interval: 3 × advert_int + skew),
// so a just-started keepalived is not judged before its first election. That
// age is the younger of the process and the newest config file given (a reload
// that adds lvsplay's instance to a long-running keepalived starts its election
// then). Not volatile: it only waits while that age is below SECONDS, so reading
// it ahead costs nothing in a converged run, and any change this run makes (a
// restart, a reload after a new file) invalidates it.
import type { Fact } from "../engine/types.js";

// Process age from /proc with the shell's own read (start time is field 22, in
// USER_HZ = 100 ticks): `ps -o etimes` cost two processes per look.
const SCRIPT = `pid=$(pgrep -o -x keepalived); n=0; vip=$1; secs=$2; dev=$3; shift 3
# Seconds since the newest config file was written (files given after the interface), once.
cage=; if [ "$#" -gt 0 ] && m=$(stat -c %Y -- "$@" 2>/dev/null | sort -n | tail -n 1) && [ -n "$m" ]; then cage=$(( $(date +%s) - m )); fi
age() { [ -n "$pid" ] && read -r st 2>/dev/null </proc/"$pid"/stat && read -r up _ </proc/uptime &&
  set -- $st && a=$(( \${up%.*} - \${22} / 100 )) &&
  if [ -n "$cage" ] && [ $(( cage + n / 5 )) -lt "$a" ]; then echo $(( cage + n / 5 )); else echo "$a"; fi; }
held=1
while ! ip -4 -o addr show dev "$dev" to "$vip/32" | grep -q .; do
  up=$(age)
  [ -n "$up" ] && [ "$up" -lt "$secs" ] || { held=0; break; }
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
  /** How long this director's keepalived has run its current configuration (null: not running). */
  readonly keepalivedUptimeSec: number | null;
}

export const vrrpSettleFact: Fact<VrrpSettleFact> = {
  name: "vrrp.settle",
  command: ([vip = "", seconds = "5", iface = "", ...configFiles]) => ({
    argv: ["sh", "-c", SCRIPT, "sh", vip, seconds, iface, ...configFiles],
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
