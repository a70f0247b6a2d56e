// The drain's held commands (drain.ts), each run on the run's own SSH connection:
// it does its part, prints READY, waits for the end of its stdin (released, or
// the connection gone) and undoes it. Pure text, so a test can log them as a run does.
import { shellJoin } from "../../transport/quote.js";

/** The line a held command prints once it has done its part. */
export const READY = "LVSPLAY-DRAINED";

/**
 * The held command (argument $1: seconds the stop may take): stop keepalived
 * (waiting, bounded, for the daemon to be gone), say so, wait for the end of
 * stdin, then start keepalived unless something already did. Output after the
 * wait goes nowhere: the connection may be gone by then.
 */
export const drainScript = (stop: string, start: string): string =>
  [
    `${stop} 2>&1`,
    'i=0; n=$(( $1 * 10 )); while pgrep -x keepalived >/dev/null && [ "$i" -lt "$n" ]; do sleep 0.1; i=$((i+1)); done',
    `if pgrep -x keepalived >/dev/null; then echo "keepalived did not stop within $1 s"; ${start} >/dev/null 2>&1; exit 1; fi`,
    `echo ${READY}`,
    "cat >/dev/null",
    "exec >/dev/null 2>&1 </dev/null",
    `pgrep -x keepalived >/dev/null || ${start}`,
  ].join("\n");

/**
 * The held command of a drain by priority: write 1 to the drain's track file
 * (keepalived lowers this director's priority to 1), say so, wait for the end
 * of stdin, then remove the file (priority back).
 */
export const priorityDrainScript = (file: string): string =>
  [
    `echo 1 >${shellJoin([file])} || exit 1`,
    `echo ${READY}`,
    "cat >/dev/null",
    "exec >/dev/null 2>&1 </dev/null",
    shellJoin(["rm", "-f", file]),
  ].join("\n");
