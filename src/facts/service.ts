// Service manager, state and boot-time enablement. Hosts without systemd
// (containers, our namespace lab) use `service NAME status`, falling back to the
// process name because some init scripts (Debian's keepalived) have no `status`
// action; enablement there is an S??NAME link in /etc/rc2.d–rc5.d.
import type { Fact } from "../engine/types.js";

export interface ServiceFact {
  readonly manager: "systemd" | "sysv";
  readonly running: boolean;
  readonly enabled: boolean;
  /** Tool that enables a sysv service here ("update-rc.d", "chkconfig"), if any. */
  readonly sysvEnabler: "update-rc.d" | "chkconfig" | "none";
  /** sysv: seconds since the service's oldest process started (undefined when not known). */
  readonly ageSec?: number;
}

const PROBE = [
  'if [ -d /run/systemd/system ]; then echo systemd; systemctl is-active --quiet -- "$1"; echo "running=$?";',
  '  systemctl is-enabled --quiet -- "$1" 2>/dev/null; echo "enabled=$?";',
  // A running process answers first: `service … status` runs an init script (~10 ms, every run).
  'else echo sysv; pid=$(pgrep -o -x -- "$1" 2>/dev/null)',
  '  if [ -n "$pid" ] || service "$1" status >/dev/null 2>&1; then echo running=0; else echo running=3; fi',
  '  if ls /etc/rc[2345].d/S[0-9][0-9]"$1" >/dev/null 2>&1; then echo enabled=0; else echo enabled=1; fi; fi',
  "if command -v update-rc.d >/dev/null 2>&1; then echo enabler=update-rc.d; elif command -v chkconfig >/dev/null 2>&1; then echo enabler=chkconfig; else echo enabler=none; fi",
  // Age from /proc with the shell's own read (start time is field 22, in USER_HZ = 100 ticks).
  // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion
  'if [ -n "$pid" ] && read -r st </proc/"$pid"/stat && read -r up _ </proc/uptime; then set -- $st; echo "age=$(( ${up%.*} - ${22} / 100 ))"; fi 2>/dev/null',
].join("\n");

export function parseService(stdout: string): ServiceFact {
  const manager = stdout.split("\n")[0];
  if (manager !== "systemd" && manager !== "sysv") throw new Error(`unexpected output: ${stdout}`);
  const get = (k: string) => new RegExp(`^${k}=(\\S+)$`, "m").exec(stdout)?.[1];
  const enabler = get("enabler");
  return {
    manager,
    running: get("running") === "0",
    enabled: get("enabled") === "0",
    sysvEnabler: enabler === "update-rc.d" || enabler === "chkconfig" ? enabler : "none",
    ...(get("age") !== undefined && Number.isFinite(Number(get("age")))
      ? { ageSec: Number(get("age")) }
      : {}),
  };
}

export const serviceFact: Fact<ServiceFact> = {
  name: "service",
  command: ([name]) => ({ argv: ["sh", "-c", PROBE, "lvsplay-fact", name ?? ""] }),
  parse: (r) => parseService(r.stdout),
};
