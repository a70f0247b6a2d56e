// The rolling apply's drain file (DRAIN_TRACK) is only there while a drain
// runs: its held command removes it when released or when its connection ends.
// One left behind (that command killed on the host itself, or written by hand)
// keeps the director's VRRP priority at 1 — it takes no VIP while a peer runs
// and never takes one back — so the keepalived stage removes it. Under the
// cluster lock no other run can be draining; lvsplay's own drain defers this
// change while it holds the host (drain.ts). The audit classifies it from its
// cause (audit/classify.ts, "drain-left-behind": high).
import { cause } from "../../engine/cause.js";
import { type Change, type FactReader, factRequest } from "../../engine/types.js";
import { pathExistsFact } from "../../facts/path-exists.js";
import type { Inventory } from "../../inventory/model.js";
import { DRAIN_TRACK } from "../../lvs/keepalived/model.js";
import { lvsOf } from "./shared.js";

const drainFileRequest = factRequest(pathExistsFact, DRAIN_TRACK.file);
const tracked = (inventory: Inventory) => !lvsOf(inventory).vrrp.nopreempt;

/** The drain file's read, where the instance tracks it (under nopreempt a file there changes nothing). */
export const drainFileRequests = (inventory: Inventory) => (tracked(inventory) ? [drainFileRequest] : []);

/** Whether a tracked drain file is there; undefined where nothing tracks it. */
export const drainFilePresent = (inventory: Inventory, facts: FactReader): boolean | undefined =>
  tracked(inventory) ? facts.get(drainFileRequest) : undefined;

export function drainLeftBehindChanges(present: boolean | undefined): Change[] {
  if (present !== true) return [];
  return [
    {
      kind: "command",
      cause: cause("drain-left-behind"),
      summary: `remove ${DRAIN_TRACK.file} left behind by a drain (it holds this director's VRRP priority at 1)`,
      command: { argv: ["rm", "-f", DRAIN_TRACK.file], become: true, timeoutSec: 30 },
      before: `${DRAIN_TRACK.file} present`,
      after: `no ${DRAIN_TRACK.file}`,
    },
  ];
}
