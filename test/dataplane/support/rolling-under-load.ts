// Rolling applies under load (issue 16 b): while `lvsplay probe` runs on the
// client, `lvsplay apply --serial auto` (directors one at a time) changes every
// director's mark rules and keepalived.conf. Two kinds of change:
// - in place: a port added and a real server's weight changed. The rules are
//   replaced in one iptables-restore transaction with the same VIP and mark,
//   keepalived reloads and edits the real server in place: no VIP moves, and
//   exactly 0 requests may fail;
// - by hand-over: a change to the VRRP instance (a notify_fault hook, harmless:
//   nobody faults) and the scheduler (the kernel's scheduler swap refuses a SYN
//   that arrives mid-swap). The VIP holder is drained first (its priority
//   lowered, a peer preempts), changed, and takes the VIP back. Requests whose
//   handshake straddles a VIP move can be reset (a connection is synced only
//   once established); the bound is what the test asserts.
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

interface RawInventory {
  lvs: {
    services: { ports: number[]; scheduler: string; weights?: Record<string, number> }[];
    vrrp: { notify?: Record<string, string> };
  };
}

export type RollingChange =
  /** The caller serves the new port on every real server first (its health checks pass at once). */
  | {
      readonly kind: "in-place";
      readonly addPort: number;
      readonly weight: { readonly realServer: string; readonly address: string; readonly weight: number };
    }
  /** notify_fault runs this command (absolute path, arguments) should a director fault: none does. */
  | { readonly kind: "hand-over"; readonly notifyFault: string; readonly scheduler: string };

function applyChange(doc: RawInventory, change: RollingChange): void {
  const svc = doc.lvs.services[0]!;
  if (change.kind === "in-place") {
    svc.ports = [...svc.ports, change.addPort];
    svc.weights = { ...svc.weights, [change.weight.realServer]: change.weight.weight };
  } else {
    doc.lvs.vrrp.notify = { ...doc.lvs.vrrp.notify, fault: change.notifyFault };
    svc.scheduler = change.scheduler;
  }
}

export async function rollingApplyUnderLoad(
  lab: GuestLab,
  c: LoadCluster,
  /** The inventory the cluster runs now; the change is made to a copy of it. */
  inventory: string,
  change: RollingChange,
): Promise<{ readonly row: string; readonly inventory: string }> {
  const [master] = c.directors;
  const doc = parse(readFileSync(inventory, "utf8")) as RawInventory;
  applyChange(doc, change);
  const changed = join(dirname(inventory), `inventory-rolled-${change.kind}.yaml`);
  writeFileSync(changed, stringify(doc));

  const loadBefore = machineLoad();
  const logFile = join(dirname(inventory), `rolling-apply-${change.kind}.log`);
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
  const label = `${c.label}, rolling apply (${change.kind === "in-place" ? "in place" : "hand-over"}) under load`;
  console.log(`lvsplay apply --serial auto (${change.kind}): ${secs(apply.ms)}, exit ${apply.code}`);
  for (const d of apply.drains) console.log(`  drain ${d.phase} [${d.host}] ${d.detail}`);
  console.log(`  VIP moves: ${describeMoments(drainMoments(logFile), offset, r.startedAtMs)}`);
  console.log(
    `${describeProbe(label, r)}\n  ${describeOutages(r)}\n  ${loadBefore} before, ${machineLoad()} after`,
  );
  const moves = apply.drains.filter((d) => d.phase === "drained" || d.phase === "restored").length;
  const drained = apply.drains.filter((d) => d.phase === "drained").length;
  expect(apply.code, apply.stderr.slice(-3000)).toBe(0);
  expect(totalOf(apply, "failed")).toBe(0);
  // Every director's keepalived.conf changed (and its mark rules, for the new port).
  for (const d of c.directors) {
    const tasks = apply.results.filter((t) => t.host === d && t.status === "changed").map((t) => t.op);
    if (change.kind === "in-place") expect(tasks, d).toContain("lvs.marks");
    expect(tasks, d).toContain("lvs.keepalived");
  }
  const masterSaid = apply.drains.filter((d) => d.host === master);
  expect(r.summary.sent).toBeGreaterThanOrEqual(10 * RATE);
  if (change.kind === "in-place") {
    // Nobody handed a VIP over: the master kept it through both stages and said why.
    expect(moves, JSON.stringify(apply.drains)).toBe(0);
    expect(masterSaid.map((d) => d.phase)).toEqual(["in-place", "in-place"]);
    expect(masterSaid[0]!.detail).toMatch(/LVSPLAY-MARK replaced in one transaction/);
    expect(masterSaid[1]!.detail).toMatch(/keepalived [\d.]+ edits them in place/);
    // The claim is exact: no request failed, no outage at all.
    expect(r.summary.failed, describeOutages(r)).toBe(0);
    expect(r.summary.outages).toEqual([]);
  } else {
    const masterDrains = masterSaid.filter((d) => d.phase === "drained");
    expect(masterDrains.length).toBeGreaterThan(0);
    // By priority (lvsplay.conf tracks the drain file): keepalived and its IPVS services stay up through the hand-over.
    for (const d of masterDrains) expect(d.detail).toMatch(/^priority lowered /);
    // A drain is a failover and failback (the holder's VIP handed to a peer, then
    // back): it can break the requests in flight at those moments, no more; every
    // outage ended.
    expect(r.summary.failed).toBeLessThanOrEqual(drained * MOMENTS_PER_FAILOVER_AND_BACK * CONCURRENCY);
    expect(r.summary.outages.every((o) => o.toMs !== undefined)).toBe(true);
  }
  expect(
    run.maxCrossings,
    run.maxCrossings > 1
      ? `${run.worst}\n${await connectionEntriesFor(lab, c.directors, run.worst)}`
      : run.worst,
  ).toBeLessThanOrEqual(1);
  await waitForVipOn(lab, c.vip, c.directors, master!);
  if (change.kind === "in-place") {
    // The change is live: the new port answers through the VIP, IPVS has the new weight.
    const added = await clientRequests(lab, { vip: c.vip, port: change.addPort });
    console.log(describeTally(`port ${change.addPort} after the roll`, added));
    expect(added.answered).toBe(added.sent);
    const { address, weight } = change.weight;
    for (const d of c.directors) {
      const ipvsadm = await inHostOk(lab, d, ["ipvsadm", "-Ln"]);
      expect(ipvsadm, d).toMatch(
        new RegExp(`->\\s+${address.replaceAll(".", "\\.")}:\\d+\\s+\\w+\\s+${weight}\\s`),
      );
    }
  } else
    for (const d of c.directors) {
      expect(await inHostOk(lab, d, ["cat", "/etc/keepalived/lvsplay.conf"]), d).toContain(
        `notify_fault "${change.notifyFault}"`,
      );
      const ipvsadm = await inHostOk(lab, d, ["ipvsadm", "-Ln"]);
      expect(ipvsadm, d).toMatch(new RegExp(`^FWM\\s+\\d+\\s+${change.scheduler}\\b`, "m"));
    }
  const row = tableRow(
    `${c.label}: rolling apply --serial auto, ${change.kind === "in-place" ? "in place (port + weight)" : "hand-over (VRRP change + scheduler)"}`,
    r,
    `${moves} VIP moves (drained/restored); apply ${secs(apply.ms)}; longest gap ${secs(r.summary.longestOutageMs)}; ${machineLoad()}`,
  );
  return { row, inventory: changed };
}
