// The cluster lock: an apply holds `flock` on /run/lock/lvsplay.lock on every
// host it may change, for the whole run. The holder is a shell of the run's own
// SSH session waiting on its stdin, so the lock dies with the connection (a
// killed controller, a dropped network) and never outlives the run. The owner
// (who, from where, PID, since when) is recorded beside it; a second apply that
// overlaps fails before any change, naming the holder. An owner file left by a
// holder that is gone (its session was killed before it could clean up) means
// the lock was taken over, and the run says so. audit and --check take no lock.
import { randomBytes } from "node:crypto";
import { hostname, userInfo } from "node:os";
import { UserError } from "../errors.js";
import type { Host } from "../inventory/model.js";
import type { Transport } from "../transport/types.js";
import { errorMessage } from "../util/error-message.js";
import type { HookContext, Prepared } from "./hooks.js";
import { mapBounded } from "./limit.js";

export const LOCK_FILE = "/run/lock/lvsplay.lock";
export const OWNER_FILE = "/run/lock/lvsplay.owner";
const READY = "LVSPLAY-LOCK-READY";

// $1 lock file, $2 owner file, $3 owner line, $4 the holder script. flock(1)
// opens the lock and runs the holder, which records the owner (saying whose
// stale record it replaces), prints READY and waits on stdin; when stdin closes
// (release, or the session is gone) it removes the owner record and the lock
// goes with flock's process.
// Shell built-ins where a process is not needed (the wait on stdin, the
// directory test): the lock is taken on every host of every apply, and on a
// fleet each host's processes count.
const HOLD = [
  `if [ -s "$1" ]; then printf 'LVSPLAY-LOCK-STALE %s\n' "$(cat "$1")"; fi`,
  `printf '%s\n' "$2" > "$1" || exit 2`,
  `echo ${READY}`,
  "while read -r _; do :; done",
  `rm -f "$1"`,
].join("\n");
const SCRIPT = [
  // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion (the lock file's directory)
  '[ -d "${1%/*}" ] || mkdir -p "${1%/*}" || exit 2',
  `flock -n -E 75 "$1" sh -c "$4" lvsplay-hold "$2" "$3"`,
  "rc=$?",
  // Busy: name the holder. Its record may be a moment behind its flock (another
  // host of the same run on this machine, locking at the same time): wait for it briefly.
  `if [ "$rc" -eq 75 ]; then for i in 1 2 3 4 5 6 7 8 9 10; do [ -s "$2" ] && break; sleep 0.2; done`,
  `  echo LVSPLAY-LOCK-BUSY; cat "$2" 2>/dev/null; exit 3; fi`,
  `exit "$rc"`,
].join("\n");

export class LockedError extends UserError {
  override readonly name = "LockedError";
  constructor(message: string) {
    super("locked", message);
  }
}

/**
 * Who holds the lock, as recorded in the owner file. The run token tells this
 * run's own record from another's: two inventory hosts can be one machine
 * (aliases, a host listed twice), and a run must not lock itself out.
 */
export const ownerLine = (
  command: string,
  now = new Date(),
  token = randomBytes(6).toString("hex"),
): string => {
  let user = "unknown";
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (containers): keep "unknown".
  }
  return `${command} by ${user}@${hostname()} pid ${process.pid} since ${now.toISOString()} run ${token}`;
};

interface Taken {
  readonly host: string;
  release(): Promise<void>;
  readonly stale?: string;
}

/**
 * Takes the lock on every host (in parallel, bounded by forks), or none: when
 * any host is held by another run, releases what it took and throws LockedError
 * naming the holder(s). Unreachable hosts are left to the run (reported there);
 * a host where the lock command itself fails (sudo refuses: no rights, a wrong
 * password; no /run/lock) is that host's failure, not another run's lock — it
 * fails with what the host said and nothing runs there.
 */
export async function takeClusterLock(
  ctx: HookContext & { readonly hosts: readonly Host[] },
  owner: string,
  forks: number,
): Promise<Prepared> {
  const taken: Taken[] = [];
  const busy: string[] = [];
  const shared: string[] = [];
  const failed = new Map<string, string>();
  const takeOne = async (host: Host) => {
    let transport: Transport;
    try {
      transport = await ctx.connect(host.name);
    } catch {
      return; // unreachable: the run reports it; nothing changes there
    }
    if (!transport.hold) throw new Error(`the transport to ${host.name} cannot hold a lock`);
    const held = await transport.hold(
      { argv: ["sh", "-c", SCRIPT, "lvsplay-lock", LOCK_FILE, OWNER_FILE, owner, HOLD], become: true },
      READY,
    );
    if (!held.running) {
      const lines = held.output.trim().split("\n");
      // This run holds it already through another inventory name of the same machine.
      if (lines[0] === "LVSPLAY-LOCK-BUSY" && lines[1] === owner) {
        shared.push(host.name);
        return;
      }
      if (lines[0] === "LVSPLAY-LOCK-BUSY") {
        busy.push(`${host.name} is locked by ${lines[1] ?? "another run (owner unknown)"}`);
        return;
      }
      const said = `${held.output} ${held.errors ?? ""}`.replace(/\s+/g, " ").trim().slice(0, 300);
      failed.set(host.name, `cannot take the cluster lock (${LOCK_FILE}): ${said || "no output"}`);
      return;
    }
    const stale = /^LVSPLAY-LOCK-STALE (.*)$/m.exec(held.output)?.[1];
    taken.push({ host: host.name, release: () => held.release(), ...(stale ? { stale } : {}) });
  };
  // The first host alone, then the rest in parallel: two runs started together
  // over the same hosts meet at the first one, so one of them gets every lock
  // (taking all in parallel, each could get some and both would fail).
  // Only the lock commands need that order: the SSH handshakes (most of a
  // host's time here) start now, up to --forks of them, beside the first
  // host's lock. They start before anything below can throw, so the run closes
  // each connection it opens; a failed one is reported where it is awaited.
  for (const host of ctx.hosts.slice(0, Math.max(1, forks))) ctx.connect(host.name).catch(() => {});
  const [first, ...rest] = ctx.hosts;
  if (first) await takeOne(first);
  if (busy.length === 0) await mapBounded(rest, forks, takeOne);
  const releaseAll = async () => {
    await Promise.allSettled(taken.map((t) => t.release()));
  };
  if (busy.length > 0) {
    await releaseAll();
    throw new LockedError(`another apply is running: ${busy.join("; ")}`);
  }
  const stale = taken.filter((t) => t.stale);
  await ctx.events.emit({
    type: "lock",
    hosts: taken.map((t) => t.host),
    detail:
      `held on ${taken.length} host(s) (${LOCK_FILE})` +
      (shared.length > 0 ? `; ${shared.join(", ")} share a machine with another host of this run` : "") +
      (stale.length > 0
        ? `; taken over from a holder that is gone: ${stale.map((t) => `${t.host} (${t.stale})`).join("; ")}`
        : ""),
  });
  return {
    failed,
    release: async () => {
      try {
        await releaseAll();
      } catch (error) {
        await ctx.events.emit({ type: "warning", message: `releasing the lock: ${errorMessage(error)}` });
      }
    },
  };
}
