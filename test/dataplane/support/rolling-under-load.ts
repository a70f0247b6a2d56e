// A rolling apply under load (issue 16 b): while `lvsplay probe` runs on the
// client, `lvsplay apply --serial auto` (directors one at a time, the VIP holder
// drained: its VIP handed to a peer before its change) adds a port to the
// service and changes its scheduler, so every director's mark rules and
// keepalived.conf change and keepalived reloads or restarts.
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { expect } from "vitest";
import { parse, stringify } from "yaml";
import { clientRequests, describeTally } from "./client-requests.js";
import { connectionEntriesFor } from "./connection-sync.js";
import { describeMoments, drainMoments, guestClockOffset } from "./drain-moments.js";
import { type GuestLab, inHostOk } from "./guest-lab.js";
import { describeOutages, secs, tableRow, waitForVipOn, withSynCaptures } from "./load.js";
import { runApply, totalOf } from "./lvsplay-apply.js";
import { describeProbe, waitForProbe, withProbe } from "./probe.js";
import {
  CONCURRENCY,
  type LoadCluster,
  MOMENTS_PER_FAILOVER_AND_BACK,
  machineLoad,
  RATE,
} from "./under-load.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function rollingApplyUnderLoad(
  lab: GuestLab,
  c: LoadCluster,
  /** The inventory the cluster runs now; the change is made to a copy of it. */
  inventory: string,
  /** The caller serves the new port on every real server first (its health checks pass at once). */
  change: { readonly addPort: number; readonly scheduler: string },
): Promise<{ readonly row: string; readonly inventory: string }> {
  const [master] = c.directors;
  const doc = parse(readFileSync(inventory, "utf8"));
  const svc = doc.lvs.services[0];
  svc.ports = [...svc.ports, change.addPort];
  svc.scheduler = change.scheduler;
  const changed = join(dirname(inventory), "inventory-rolled.yaml");
  writeFileSync(changed, stringify(doc));

  const loadBefore = machineLoad();
  const logFile = join(dirname(inventory), "rolling-apply.log");
  const offset = await guestClockOffset(lab, c.directors[0]!);
  const run = await withSynCaptures(
    lab,
    { hosts: c.directors, vip: c.vip, port: c.port, directorMacs: c.directorMacs },
    () =>
      withProbe(
        lab,
        { url: `http://${c.vip}:${c.port}/`, requests: 1_000_000, rate: RATE, concurrency: CONCURRENCY },
        async (probe) => {
          await waitForProbe(lab, probe, 5 * RATE);
          const apply = await runApply(changed, ["--serial", "auto", "--log-file", logFile]);
          // Time on the cluster as the apply left it: the run must end in answers.
          await sleep(10_000);
          return apply;
        },
      ),
  );
  const { value: apply, report: r } = run.value;
  console.log(`lvsplay apply --serial auto: ${secs(apply.ms)}, exit ${apply.code}`);
  for (const d of apply.drains) console.log(`  drain ${d.phase} [${d.host}] ${d.detail}`);
  console.log(`  VIP moves: ${describeMoments(drainMoments(logFile), offset, r.startedAtMs)}`);
  console.log(
    `${describeProbe(`${c.label}, rolling apply under load`, r)}\n  ${describeOutages(r)}\n  ${loadBefore} before, ${machineLoad()} after`,
  );
  const moves = apply.drains.filter((d) => d.phase === "drained" || d.phase === "restored").length;
  const drained = apply.drains.filter((d) => d.phase === "drained").length;
  expect(apply.code, apply.stderr.slice(-3000)).toBe(0);
  expect(totalOf(apply, "failed")).toBe(0);
  // Every director's mark rules and keepalived.conf changed; the VIP holder was drained first.
  for (const d of c.directors) {
    const tasks = apply.results.filter((t) => t.host === d && t.status === "changed").map((t) => t.op);
    expect(tasks, d).toContain("lvs.marks");
    expect(tasks, d).toContain("lvs.keepalived");
  }
  const masterDrains = apply.drains.filter((d) => d.host === master && d.phase === "drained");
  expect(masterDrains.length).toBeGreaterThan(0);
  // By priority (lvsplay.conf tracks the drain file): keepalived and its IPVS services stay up through the hand-over.
  for (const d of masterDrains) expect(d.detail).toMatch(/^priority lowered /);
  expect(r.summary.sent).toBeGreaterThanOrEqual(10 * RATE);
  // A drain is a failover and failback (the holder's VIP handed to a peer, then
  // back): it can break the requests in flight at those moments, no more; every
  // outage ended.
  expect(r.summary.failed).toBeLessThanOrEqual(drained * MOMENTS_PER_FAILOVER_AND_BACK * CONCURRENCY);
  expect(r.summary.outages.every((o) => o.toMs !== undefined)).toBe(true);
  expect(
    run.maxCrossings,
    run.maxCrossings > 1
      ? `${run.worst}\n${await connectionEntriesFor(lab, c.directors, run.worst)}`
      : run.worst,
  ).toBeLessThanOrEqual(1);
  // The change is live: the new port answers through the VIP, IPVS uses the new scheduler.
  await waitForVipOn(lab, c.vip, c.directors, master!);
  const added = await clientRequests(lab, { vip: c.vip, port: change.addPort });
  console.log(describeTally(`port ${change.addPort} after the roll`, added));
  expect(added.answered).toBe(added.sent);
  for (const d of c.directors) {
    const ipvsadm = await inHostOk(lab, d, ["ipvsadm", "-Ln"]);
    expect(ipvsadm, d).toMatch(new RegExp(`^FWM\\s+\\d+\\s+${change.scheduler}\\b`, "m"));
  }
  const row = tableRow(
    `${c.label}: rolling apply --serial auto`,
    r,
    `${moves} VIP moves (drained/restored); apply ${secs(apply.ms)}; longest gap ${secs(r.summary.longestOutageMs)}; ${machineLoad()}`,
  );
  return { row, inventory: changed };
}
