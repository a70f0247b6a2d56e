// Service manager and state. Hosts without systemd (containers, our namespace
// lab) use `service NAME status`, falling back to the process name because some
// init scripts (Debian's keepalived) have no `status` action; systemd hosts use systemctl.
import type { Fact } from "../engine/types.js";

export interface ServiceFact {
  readonly manager: "systemd" | "sysv";
  readonly running: boolean;
}

const PROBE =
  'if [ -d /run/systemd/system ]; then echo systemd; systemctl is-active --quiet -- "$1"; echo $?; ' +
  'else echo sysv; if service "$1" status >/dev/null 2>&1 || pgrep -x -- "$1" >/dev/null 2>&1; then echo 0; else echo 3; fi; fi';

export const serviceFact: Fact<ServiceFact> = {
  name: "service",
  command: ([name]) => ({ argv: ["sh", "-c", PROBE, "lvsplay-fact", name ?? ""] }),
  parse: (result) => {
    const [manager, code] = result.stdout.trim().split("\n");
    if (manager !== "systemd" && manager !== "sysv") throw new Error(`unexpected output: ${result.stdout}`);
    return { manager, running: code === "0" };
  },
};
