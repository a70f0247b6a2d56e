// Which of the given VIPs this host holds on an interface other than lo (where
// VRRP puts them; co-located directors also carry every VIP on lo for DR), and
// how long its keepalived has run. Read-only; volatile: the rolling apply's
// drain polls it while a VIP moves between directors.
import type { Fact } from "../engine/types.js";

// Age from /proc with the shell's own read (start time is field 22, in USER_HZ = 100 ticks).
const SCRIPT = `for v; do
  ip -4 -o addr show to "$v/32" | awk -v v="$v" '$2 != "lo" { print "held " v; exit }'
done
pid=$(pgrep -o -x keepalived)
if [ -n "$pid" ] && read -r st 2>/dev/null </proc/"$pid"/stat && read -r up _ </proc/uptime; then
  set -- $st; echo "keepalived $(( \${up%.*} - \${22} / 100 ))"
fi`;

export interface VipHoldingFact {
  /** The VIPs (of those asked about) on a non-lo interface. */
  readonly held: readonly string[];
  /** Seconds keepalived has run; null when it does not run. */
  readonly keepalivedUptimeSec: number | null;
}

export const vipHoldingFact: Fact<VipHoldingFact> = {
  name: "vip.holding",
  command: (vips) => ({ argv: ["sh", "-c", SCRIPT, "lvsplay-vips", ...vips], timeoutSec: 10 }),
  parse: (r) => {
    const held = [...r.stdout.matchAll(/^held (\S+)$/gm)].map((m) => m[1]!);
    const up = /^keepalived (\d+)$/m.exec(r.stdout)?.[1];
    return { held, keepalivedUptimeSec: up === undefined ? null : Number(up) };
  },
  volatile: true,
};
