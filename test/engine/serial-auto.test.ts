// --serial auto (apply's default): one batch, and a host the run's hooks
// postpone before a change leaves it and runs alone afterwards. Local fake
// hosts (temp folders on this machine); the hook stands in for the drain.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  ALL_AT_ONCE,
  describeSerial,
  makeBatches,
  parseSerial,
  type SerialSpec,
} from "../../src/engine/batches.js";
import { DataKey } from "../../src/engine/data.js";
import { type EngineEvent, EventBus } from "../../src/engine/events.js";
import type { RunHooks } from "../../src/engine/hooks.js";
import { runPlaybook } from "../../src/engine/run.js";
import type { Operation } from "../../src/engine/types.js";
import type { Inventory } from "../../src/inventory/model.js";
import { buildRegistry } from "../../src/operations/registry.js";
import type { Playbook, Task } from "../../src/playbook/model.js";
import type { Connector } from "../../src/transport/types.js";
import { RecordingLocalTransport } from "../support/local-sh.js";
import { inventoryOf, stage, task } from "./support/fake-hosts.js";

const file = (name: string, path: string, extra: Partial<Task> = {}) =>
  task(name, "file", { path: `{{ dir }}/${path}`, content: `${path}\n` }, extra);

// "pub" produces every host's name (typed data a later stage reads on every
// host) and touches a marker: the change the hook may postpone.
const ME = new DataKey<{ me: string }>("test.me", "name", z.strictObject({ me: z.string() }));
const publishOp: Operation<{ dir: string }> = {
  name: "test.publish",
  description: "",
  parseArgs: (a) => a as { dir: string },
  facts: () => [],
  produces: () => [ME],
  plan: (ctx) => ({
    changes: [
      {
        kind: "command",
        cause: { kind: "command" },
        summary: "publish",
        command: { argv: ["touch", `${ctx.args.dir}/pub`] },
      },
    ],
    produce: [ME.value({ me: ctx.host.name })],
  }),
};
const readOp: Operation<unknown> = {
  name: "test.read",
  description: "",
  parseArgs: (a) => a,
  facts: () => [],
  consumes: ({ inventory }) => [{ key: ME, hosts: inventory.hosts.map((h) => h.name) }],
  plan: (ctx) => ({
    changes: [],
    notes: [
      inventoryNames(ctx)
        .map((h) => ctx.data.get(ME, h)?.me ?? "-")
        .join(","),
    ],
  }),
};
// "observe" produces a value in a stage after the postponement point: the
// shared batch must read it on the postponed host (read-only) for "late".
const OBS = new DataKey<{ seen: string }>("test.obs", "observation", z.strictObject({ seen: z.string() }));
const observeOp: Operation<unknown> = {
  name: "test.observe",
  description: "",
  parseArgs: (a) => a,
  facts: () => [],
  produces: () => [OBS],
  plan: (ctx) => ({ changes: [], produce: [OBS.value({ seen: ctx.host.name })] }),
};
const readObsOp: Operation<unknown> = {
  name: "test.read_obs",
  description: "",
  parseArgs: (a) => a,
  facts: () => [],
  consumes: ({ inventory }) => [{ key: OBS, hosts: inventory.hosts.map((h) => h.name) }],
  plan: (ctx) => ({
    changes: [],
    notes: [
      inventoryNames(ctx)
        .map((h) => ctx.data.get(OBS, h)?.seen ?? "-")
        .join(","),
    ],
  }),
};
const inventoryNames = (ctx: { inventory: Inventory }) => ctx.inventory.hosts.map((h) => h.name);

const connector: Connector = { connect: async (name) => new RecordingLocalTransport(name) };

interface Asked {
  host: string;
  summary: string;
  postponable: boolean;
}

async function run(inv: Inventory, playbook: Playbook, serial: SerialSpec, postpone: (a: Asked) => boolean) {
  const events = new EventBus();
  const seen: EngineEvent[] = [];
  events.subscribe((e) => {
    seen.push(e);
  });
  const asked: Asked[] = [];
  const hooks: RunHooks = {
    beforeChange: async ({ host, change, postponable }) => {
      const a = { host: host.name, summary: change.summary, postponable };
      asked.push(a);
      return postponable && postpone(a) ? { postpone: `${host.name} must go alone` } : undefined;
    },
  };
  const outcome = await runPlaybook({
    inventory: inv,
    playbook,
    registry: buildRegistry([publishOp, readOp, observeOp, readObsOp] as never[]),
    connector,
    events,
    hooks,
    options: { check: false, forks: 4, maxFailPercent: 0, serial },
  });
  const batches = seen.flatMap((e) => (e.type === "batch-end" ? [e.hosts] : []));
  return { outcome, seen, asked, batches };
}

const AUTO: SerialSpec = { kind: "auto" };
const pubPlaybook: Playbook = {
  file: "pb.yaml",
  name: "t",
  handlers: [],
  stages: [
    stage("base", [file("base", "base.conf")]),
    stage("pub", [task("p", "test.publish", { dir: "{{ dir }}" })]),
    stage("observe", [task("o", "test.observe", {})]),
    stage("late", [task("r", "test.read", {}), task("ro", "test.read_obs", {}), file("late", "late.conf")]),
  ],
};

describe("--serial parsing", () => {
  it("auto and all are batch layouts; auto starts as one batch", () => {
    const { inv } = inventoryOf(["a", "b", "c"]);
    expect(parseSerial("auto")).toEqual(AUTO);
    expect(parseSerial("all")).toEqual(ALL_AT_ONCE);
    expect(makeBatches(inv.hosts, AUTO).map((b) => b.length)).toEqual([3]);
    expect(makeBatches(inv.hosts, ALL_AT_ONCE).map((b) => b.length)).toEqual([3]);
    expect(makeBatches(inv.hosts, parseSerial("1")).map((b) => b.length)).toEqual([1, 1, 1]);
    expect(describeSerial(ALL_AT_ONCE)).toBe("all hosts at once");
    expect(describeSerial(AUTO)).toMatch(/runs alone afterwards, one at a time/);
    expect(() => parseSerial("sometimes")).toThrow(/auto or all/);
  });
});

describe("--serial auto", () => {
  it("a postponed host leaves the batch before its change and runs alone after it; the batch still reads its data", async () => {
    const { inv, dir } = inventoryOf(["h1", "h2", "h3"]);
    const { outcome, seen, asked, batches } = await run(
      inv,
      pubPlaybook,
      AUTO,
      (a) => a.host === "h2" && a.summary === "publish",
    );
    expect(outcome.aborted).toBeUndefined();
    expect(batches).toEqual([["h1", "h3"], ["h2"]]);
    const postponed = seen.filter((e) => e.type === "postponed");
    expect(postponed).toEqual([
      { type: "postponed", host: "h2", stage: "pub", task: "p", reason: "h2 must go alone" },
    ]);
    // Asked twice for h2's change: in the shared batch (postponed), then alone (not postponable: applied).
    expect(asked.filter((a) => a.host === "h2" && a.summary === "publish").map((a) => a.postponable)).toEqual(
      [true, false],
    );
    // h2 got its earlier stage in the shared batch, and everything in the end.
    for (const h of ["h1", "h2", "h3"]) {
      expect(existsSync(join(dir[h]!, "base.conf"))).toBe(true);
      expect(existsSync(join(dir[h]!, "pub"))).toBe(true);
      expect(existsSync(join(dir[h]!, "late.conf"))).toBe(true);
    }
    // Order: the shared batch finished (h1's and h3's last stage) before h2's postponed change.
    const at = (pred: (e: EngineEvent) => boolean) => seen.findIndex(pred);
    const h2Pub = at((e) => e.type === "task-result" && e.result.host === "h2" && e.result.task === "p");
    const h1Late = at((e) => e.type === "task-result" && e.result.host === "h1" && e.result.task === "late");
    expect(h1Late).toBeGreaterThanOrEqual(0);
    expect(h2Pub).toBeGreaterThan(h1Late);
    // h2's published data reached the shared batch's later stage on the other hosts.
    const reads = outcome.results.filter((r) => r.task === "r");
    expect(reads.map((r) => `${r.host}:${r.notes[0]}`)).toEqual([
      "h1:h1,h2,h3",
      "h3:h1,h2,h3",
      "h2:h1,h2,h3",
    ]);
    // h2's observation (a stage after it left) was read read-only for the shared batch, and said so.
    expect(outcome.results.filter((r) => r.task === "ro").map((r) => `${r.host}:${r.notes[0]}`)).toEqual([
      "h1:h1,h2,h3",
      "h3:h1,h2,h3",
      "h2:h1,h2,h3",
    ]);
    const batch2 = seen.findIndex((e) => e.type === "batch-start");
    expect(seen.slice(0, batch2).filter((e) => e.type === "data-read")).toEqual([
      { type: "data-read", stage: "observe", hosts: ["h2"], what: ["observation"] },
    ]);
    // h2 alone reads the others' data, as any batch does.
    expect(
      seen
        .slice(batch2)
        .filter((e) => e.type === "data-read")
        .map((e) => e.type === "data-read" && e.stage),
    ).toEqual(["pub", "observe"]);
    // The postponed task has one result (from h2's own batch); h2 ran no "late" task in the shared batch.
    expect(outcome.results.filter((r) => r.host === "h2" && r.task === "p").map((r) => r.status)).toEqual([
      "changed",
    ]);
    expect(outcome.results.filter((r) => r.host === "h2" && r.task === "late")).toHaveLength(1);
    expect(
      seen.filter((e) => e.type === "batch-start").map((e) => e.type === "batch-start" && e.index),
    ).toEqual([2]);
  });

  it("a no-op run asks the hook nothing and stays one batch (costs what one batch costs)", async () => {
    const { inv } = inventoryOf(["h1", "h2"]);
    const noop: Playbook = { ...pubPlaybook, stages: [stage("base", [file("base", "base.conf")])] };
    await run(inv, noop, AUTO, () => true);
    const again = await run(inv, noop, AUTO, () => true);
    expect(again.asked).toEqual([]);
    expect(again.batches).toEqual([]);
    expect(again.seen.some((e) => e.type === "postponed" || e.type === "batch-start")).toBe(false);
  });

  it("changes the hook does not postpone stay in the one batch", async () => {
    const { inv } = inventoryOf(["h1", "h2"]);
    const { asked, batches, outcome } = await run(inv, pubPlaybook, AUTO, () => false);
    expect(batches).toEqual([]);
    expect(asked.every((a) => a.postponable)).toBe(true);
    expect(outcome.results.filter((r) => r.status === "changed")).toHaveLength(6);
  });

  it("not postponable once something of the host's stage was applied (a change or a notified handler would be lost)", async () => {
    const { inv, dir } = inventoryOf(["h1", "h2"]);
    const twoChanges: Playbook = {
      ...pubPlaybook,
      stages: [stage("s", [file("first", "first.conf"), file("second", "second.conf")])],
    };
    const { asked, batches } = await run(inv, twoChanges, AUTO, (a) => a.summary.includes("second"));
    expect(asked.filter((a) => a.host === "h1").map((a) => a.postponable)).toEqual([true, false]);
    expect(batches).toEqual([]);
    expect(existsSync(join(dir.h1!, "second.conf"))).toBe(true);
  });

  it("--serial all, a numbered batch and a one-host run never postpone", async () => {
    for (const [names, serial] of [
      [["h1", "h2"], ALL_AT_ONCE],
      [["h1", "h2"], parseSerial("1")],
      [["h1"], AUTO],
    ] as const) {
      const { inv } = inventoryOf([...names]);
      const { asked, seen } = await run(inv, pubPlaybook, serial, () => true);
      expect(asked.length).toBeGreaterThan(0);
      expect(asked.every((a) => !a.postponable)).toBe(true);
      expect(seen.some((e) => e.type === "postponed")).toBe(false);
    }
  });

  it("a failed shared batch stops the run: the postponed host is left unchanged and named", async () => {
    const { inv, dir } = inventoryOf(["h1", "h2"]);
    const failing: Playbook = {
      ...pubPlaybook,
      stages: [
        stage("pub", [task("p", "test.publish", { dir: "{{ dir }}" })]),
        stage("boom", [task("b", "command", { argv: ["false"] })]),
      ],
    };
    const { outcome, batches } = await run(inv, failing, AUTO, (a) => a.host === "h2");
    expect(outcome.aborted).toMatch(/postponed, not run: h2/);
    expect(batches).toEqual([["h1"]]);
    expect(existsSync(join(dir.h2!, "pub"))).toBe(false);
  });
});
