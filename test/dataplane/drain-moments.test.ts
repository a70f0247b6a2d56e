// The rolling test's VIP moves read back from a real --log-file: written by
// lvsplay's own RunLog (the drain's held command, its progress lines through
// the plain renderer), so a change to the log's format or the drain's script
// fails here rather than as a silent "no drain in the log" in the QEMU tier.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { RunLog } from "../../src/cli/run-log.js";
import { EventBus } from "../../src/engine/events.js";
import { DRAIN_TRACK } from "../../src/lvs/keepalived/model.js";
import { drainScript, priorityDrainScript } from "../../src/operations/lvs/drain-scripts.js";
import type { Command } from "../../src/transport/types.js";
import { describeMoments, drainMoments } from "./support/drain-moments.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/**
 * A real --log-file: the commands sent (through RunLog), then a drain's
 * "drained" and "restored" events through the plain renderer, as a run writes them.
 */
async function logOf(
  host: string,
  sent: readonly Command[],
  drained: { holder: string; detail: string },
  restored: string,
): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "lvsplay-moments-"));
  dirs.push(dir);
  const file = join(dir, "apply.log");
  const log = new RunLog({ logFile: file }, []);
  const events = new EventBus();
  log.follow(events, false);
  for (const c of sent) log.sent(host, c);
  const vip = "7.7.7.100";
  await events.emit({
    type: "drain",
    host,
    phase: "drained",
    vips: { [vip]: [drained.holder] },
    detail: drained.detail,
    durationMs: 1000,
  });
  await events.emit({
    type: "drain",
    host,
    phase: "restored",
    vips: { [vip]: [host] },
    detail: restored,
    durationMs: 9000,
  });
  log.close();
  return file;
}

describe("drainMoments", () => {
  it("finds the stop, the hand-over, the start again and the take-back in a real log", async () => {
    const file = await logOf(
      "ds1",
      [
        // Another command first: only the drain's stop counts.
        { argv: ["systemctl", "stop", "keepalived"] },
        {
          argv: [
            "sh",
            "-c",
            drainScript("systemctl stop keepalived", "systemctl start keepalived"),
            "lvsplay-drain",
            "10",
          ],
          become: true,
        },
      ],
      { holder: "ds2", detail: "keepalived stopped; handed over in 1.00 s: 7.7.7.100 on ds2" },
      "keepalived running on ds1 again; 7.7.7.100 on ds1 (held once) after 4.25 s; ds1 was drained for 9.00 s",
    );
    const moments = drainMoments(file);
    // Sorted by time; here the restore line follows at once, so the start it implies comes first.
    expect(moments.map((m) => `${m.host} ${m.what}`).sort()).toEqual([
      "ds1 handed over",
      "ds1 keepalived started",
      "ds1 keepalived stopped",
      "ds1 taken back",
    ]);
    const by = new Map(moments.map((m) => [m.what, m.atMs]));
    // The start is read back from "after 4.25 s" on the restored line.
    expect(by.get("taken back")! - by.get("keepalived started")!).toBe(4250);
    expect(by.get("handed over")!).toBeGreaterThanOrEqual(by.get("keepalived stopped")!);
    const startedAt = by.get("keepalived stopped")! - 2000;
    const stopped = moments.filter((m) => m.what === "keepalived stopped");
    expect(describeMoments(stopped, { guestMinusHostMs: 500, rttMs: 30 }, startedAt)).toBe(
      "ds1 keepalived stopped 2.5 s (probe clock, ±15 ms)",
    );
  });

  it("finds a drain by priority: the drain file written, the hand-over, the priority back, the take-back", async () => {
    const file = await logOf(
      "ds2",
      [{ argv: ["sh", "-c", priorityDrainScript(DRAIN_TRACK.file), "lvsplay-drain"], become: true }],
      {
        holder: "ds1",
        detail: `priority lowered (${DRAIN_TRACK.file}); handed over in 4.00 s: 7.7.7.100 on ds1`,
      },
      "priority back on ds2; 7.7.7.100 on ds2 (held once) after 3.50 s; ds2 was drained for 9.00 s",
    );
    const moments = drainMoments(file);
    expect(moments.map((m) => `${m.host} ${m.what}`).sort()).toEqual([
      "ds2 handed over",
      "ds2 priority back",
      "ds2 priority lowered",
      "ds2 taken back",
    ]);
    const by = new Map(moments.map((m) => [m.what, m.atMs]));
    expect(by.get("taken back")! - by.get("priority back")!).toBe(3500);
  });
});
