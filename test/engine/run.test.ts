// Engine behaviour with local fake hosts: each "host" is this machine with its
// own temp folder, reached through a recording transport.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { cause } from "../../src/engine/cause.js";
import { DataKey } from "../../src/engine/data.js";
import { type EngineEvent, EventBus } from "../../src/engine/events.js";
import { runPlaybook } from "../../src/engine/run.js";
import type { Operation } from "../../src/engine/types.js";
import type { Inventory } from "../../src/inventory/model.js";
import { buildRegistry } from "../../src/operations/registry.js";
import type { Playbook } from "../../src/playbook/model.js";
import type { Command, CommandResult, Connector, Transport } from "../../src/transport/types.js";
import { UnreachableError } from "../../src/transport/types.js";
import { RecordingLocalTransport } from "../support/local-sh.js";
import { inventoryOf, pos, stage, task } from "./support/fake-hosts.js";

class FakeConnector implements Connector {
  readonly transports = new Map<string, RecordingLocalTransport>();
  connects = 0;
  active = 0;
  peak = 0;
  constructor(private readonly down = new Set<string>()) {}
  async connect(name: string): Promise<Transport> {
    this.connects++;
    if (this.down.has(name)) throw new UnreachableError(`${name}: connect ECONNREFUSED`);
    const inner = new RecordingLocalTransport(name);
    this.transports.set(name, inner);
    const self = this;
    return {
      hostName: name,
      async run(c: Command): Promise<CommandResult> {
        self.active++;
        self.peak = Math.max(self.peak, self.active);
        await new Promise((r) => setTimeout(r, 5));
        try {
          return await inner.run(c);
        } finally {
          self.active--;
        }
      },
      close: async () => {},
    };
  }
}

async function run(inv: Inventory, playbook: Playbook, connector: Connector, check = false, forks = 10) {
  const events = new EventBus();
  const seen: EngineEvent[] = [];
  events.subscribe((e) => {
    seen.push(e);
  });
  const outcome = await runPlaybook({
    inventory: inv,
    playbook,
    registry: buildRegistry(),
    connector,
    events,
    options: { check, forks, maxFailPercent: 100 },
  });
  return { outcome, seen };
}

const writeAndTouch: Playbook = {
  file: "pb.yaml",
  name: "t",
  handlers: [
    {
      name: "mark",
      op: "command",
      args: { argv: ["sh", "-c", 'echo x >> "$0"/handler.log', "{{ dir }}"] },
      pos,
    },
  ],
  stages: [
    stage("write", [
      task(
        "conf",
        "file",
        { path: "{{ dir }}/app.conf", content: "a=1\n", mode: "0640" },
        { notify: ["mark"] },
      ),
      task("conf again", "file", { path: "{{ dir }}/other.conf", content: "b=2\n" }, { notify: ["mark"] }),
    ]),
  ],
};

describe("runPlaybook", () => {
  it("first run changes, second run is all ok, handler runs once per notifying run", async () => {
    const { inv, dir } = inventoryOf(["h1", "h2"]);
    const first = await run(inv, writeAndTouch, new FakeConnector());
    expect(first.outcome.recap.h1).toEqual({ ok: 0, changed: 3, failed: 0, skipped: 0, unreachable: 0 });
    expect(readFileSync(join(dir.h1!, "app.conf"), "utf8")).toBe("a=1\n");
    expect(readFileSync(join(dir.h1!, "handler.log"), "utf8")).toBe("x\n");
    const second = await run(inv, writeAndTouch, new FakeConnector());
    expect(second.outcome.recap.h2).toEqual({ ok: 2, changed: 0, failed: 0, skipped: 0, unreachable: 0 });
    expect(readFileSync(join(dir.h2!, "handler.log"), "utf8")).toBe("x\n");
  });

  it("check mode sends only fact reads and changes nothing, but reports the diff", async () => {
    const { inv, dir } = inventoryOf(["h1"]);
    await run(inv, writeAndTouch, new FakeConnector());
    writeFileSync(join(dir.h1!, "app.conf"), "a=edited\n");
    const connector = new FakeConnector();
    const { outcome } = await run(inv, writeAndTouch, connector, true);
    const sent = connector.transports.get("h1")!.sent;
    expect(sent.length).toBeGreaterThan(0);
    for (const c of sent) expect(c.argv.slice(0, 3).join(" ")).toMatch(/^sh -c exec 3>&1/);
    expect(readFileSync(join(dir.h1!, "app.conf"), "utf8")).toBe("a=edited\n");
    const changed = outcome.results.filter((r) => r.status === "changed");
    expect(changed.map((r) => r.task)).toEqual(["conf", "handler: mark"]);
    const change = changed[0]!.changes[0]!;
    expect(change.kind === "file" && change.before).toBe("a=edited\n");
  });

  it("one connection per host for the whole run, one fact round trip for all stages when converged", async () => {
    const { inv } = inventoryOf(["h1"]);
    const pb: Playbook = {
      ...writeAndTouch,
      stages: [...writeAndTouch.stages, stage("again", writeAndTouch.stages[0]!.tasks)],
    };
    // First run: stage 1 changes the host, so stage 2 must read it again (not the
    // cached, pre-change facts) and find nothing left to do.
    const first = await run(inv, pb, new FakeConnector());
    expect(first.outcome.results.filter((r) => r.stage === "again").map((r) => r.status)).toEqual([
      "ok",
      "ok",
    ]);
    const connector = new FakeConnector();
    await run(inv, pb, connector);
    expect(connector.connects).toBe(1);
    // Stage 1 read stage 2's facts too; stage 2 reused them.
    expect(connector.transports.get("h1")!.sent).toHaveLength(1);
  });

  it("after a change, every later task of the stage plans from fresh facts (also past a task that changed nothing)", async () => {
    const { inv, dir } = inventoryOf(["h1"]);
    writeFileSync(join(dir.h1!, "b.conf"), "b\n");
    const pb: Playbook = {
      ...writeAndTouch,
      stages: [
        stage("s", [
          task("a", "file", { path: "{{ dir }}/a.conf", content: "a\n" }),
          task("b", "file", { path: "{{ dir }}/b.conf", content: "b\n" }),
          task("c", "file", { path: "{{ dir }}/c.conf", content: "c\n" }),
        ]),
      ],
    };
    const { outcome } = await run(inv, pb, new FakeConnector());
    expect(outcome.results.map((r) => `${r.task}:${r.status}${r.error ? ` ${r.error}` : ""}`)).toEqual([
      "a:changed",
      "b:ok",
      "c:changed",
    ]);
    expect(readFileSync(join(dir.h1!, "c.conf"), "utf8")).toBe("c\n");
  });

  it("handlers are not notified when nothing changed, and still run when a later task fails", async () => {
    const { inv, dir } = inventoryOf(["h1"]);
    const pb: Playbook = {
      ...writeAndTouch,
      stages: [
        stage("s", [
          task("conf", "file", { path: "{{ dir }}/app.conf", content: "a=1\n" }, { notify: ["mark"] }),
          task("boom", "command", { argv: ["false"] }),
          task("never", "file", { path: "{{ dir }}/never", content: "" }),
        ]),
        stage("later", [task("never2", "file", { path: "{{ dir }}/never2", content: "" })]),
      ],
    };
    const { outcome } = await run(inv, pb, new FakeConnector());
    expect(outcome.results.map((r) => `${r.task}:${r.status}`)).toEqual([
      "conf:changed",
      "boom:failed",
      "handler: mark:changed",
    ]);
    expect(readFileSync(join(dir.h1!, "handler.log"), "utf8")).toBe("x\n");
    expect(outcome.recap.h1!.failed).toBe(1);
    const handler = outcome.results.find((r) => r.handler)!;
    expect(handler.notes.join(" ")).toMatch(/notified before a task failed/);
  });

  it("a failed host stops only itself; an unreachable host is distinct", async () => {
    const { inv, dir } = inventoryOf(["good", "bad", "gone"]);
    const pb: Playbook = {
      file: "pb.yaml",
      name: "t",
      handlers: [],
      stages: [
        stage("one", [
          task("maybe fail", "command", {
            argv: ["sh", "-c", 'case "$0" in *bad*) exit 3;; esac', "{{ dir }}"],
          }),
        ]),
        stage("two", [task("write", "file", { path: "{{ dir }}/two", content: "2\n" })]),
      ],
    };
    const { outcome } = await run(inv, pb, new FakeConnector(new Set(["gone"])));
    expect(outcome.recap.good).toEqual({ ok: 0, changed: 2, failed: 0, skipped: 0, unreachable: 0 });
    expect(outcome.recap.bad).toEqual({ ok: 0, changed: 0, failed: 1, skipped: 0, unreachable: 0 });
    expect(outcome.recap.gone).toEqual({ ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: 1 });
    expect(readFileSync(join(dir.good!, "two"), "utf8")).toBe("2\n");
    expect(() => readFileSync(join(dir.bad!, "two"))).toThrow();
  });

  it("a host the run's beforeRun could not prepare (sudo refused the lock) fails alone, before any stage", async () => {
    const { inv, dir } = inventoryOf(["h1", "h2"]);
    const connector = new FakeConnector();
    const events = new EventBus();
    let released = 0;
    const outcome = await runPlaybook({
      inventory: inv,
      playbook: writeAndTouch,
      registry: buildRegistry(),
      connector,
      events,
      options: { check: false, forks: 10, maxFailPercent: 100 },
      hooks: {
        beforeRun: async () => ({
          failed: new Map([["h2", "cannot take the cluster lock: sudo: a password is required"]]),
          release: async () => {
            released++;
          },
        }),
      },
    });
    expect(outcome.recap.h2).toEqual({ ok: 0, changed: 0, failed: 1, skipped: 0, unreachable: 0 });
    expect(outcome.recap.h1!.changed).toBe(3);
    const failed = outcome.results.filter((r) => r.status === "failed");
    expect(failed.map((r) => [r.host, r.task, r.error])).toEqual([
      ["h2", "cluster lock", "cannot take the cluster lock: sudo: a password is required"],
    ]);
    // Nothing ran on h2: no command was sent and no file was written.
    expect(connector.transports.get("h2")?.sent ?? []).toHaveLength(0);
    expect(() => readFileSync(join(dir.h2!, "app.conf"))).toThrow();
    expect(released).toBe(1);
  });

  it("respects the forks bound", async () => {
    const names = Array.from({ length: 8 }, (_, i) => `h${i}`);
    const { inv } = inventoryOf(names);
    const connector = new FakeConnector();
    await run(inv, writeAndTouch, connector, false, 3);
    expect(connector.peak).toBeLessThanOrEqual(3);
    expect(connector.peak).toBeGreaterThan(1);
  });

  it("a later stage sees the typed values every host produced in an earlier stage", async () => {
    const { inv } = inventoryOf(["h1", "h2"]);
    const ME = new DataKey<{ me: string }>("test.me", "name", z.strictObject({ me: z.string() }));
    const publishOp: Operation<unknown> = {
      name: "test.publish",
      description: "",
      parseArgs: (a) => a,
      facts: () => [],
      produces: () => [ME],
      plan: (ctx) => ({ changes: [], produce: [ME.value({ me: ctx.host.name })] }),
    };
    const readOp: Operation<unknown> = {
      name: "test.read",
      description: "",
      parseArgs: (a) => a,
      facts: () => [],
      consumes: ({ inventory }) => [{ key: ME, hosts: inventory.hosts.map((h) => h.name) }],
      plan: (ctx) => ({
        changes: [],
        notes: [JSON.stringify(["h1", "h2"].map((h) => ctx.data.get(ME, h)))],
      }),
    };
    const reg = buildRegistry([publishOp, readOp] as never[]);
    const events = new EventBus();
    const outcome = await runPlaybook({
      inventory: inv,
      playbook: {
        file: "pb.yaml",
        name: "t",
        handlers: [],
        stages: [
          stage("pub", [task("p", "test.publish", {}, { register: "pub" })]),
          stage("read", [task("r", "test.read", { who: "{{ pub.me }}" })]),
        ],
      },
      registry: reg,
      connector: new FakeConnector(),
      events,
      options: { check: false, forks: 1, maxFailPercent: 100 },
    });
    const read = outcome.results.filter((r) => r.task === "r");
    expect(read.map((r) => r.notes[0])).toEqual([
      JSON.stringify([{ me: "h1" }, { me: "h2" }]),
      JSON.stringify([{ me: "h1" }, { me: "h2" }]),
    ]);
  });

  it("a fact read that fails after a change fails only that task; results are kept and handlers still run", async () => {
    const { inv, dir } = inventoryOf(["h1"]);
    let gathers = 0;
    const inner = new FakeConnector();
    const flaky: Connector = {
      connect: async (name) => {
        const t = await inner.connect(name);
        return {
          hostName: name,
          run: async (c) => {
            const isGather = c.argv[2]?.startsWith("exec 3>&1") ?? false;
            if (isGather && ++gathers === 2) return { stdout: "", stderr: "timed out", code: 124 };
            return t.run(c);
          },
          close: () => t.close(),
        };
      },
    };
    const pb: Playbook = {
      ...writeAndTouch,
      stages: [
        stage("s", [
          task("conf", "file", { path: "{{ dir }}/app.conf", content: "a=1\n" }, { notify: ["mark"] }),
          task("next", "file", { path: "{{ dir }}/next", content: "n\n" }),
        ]),
      ],
    };
    const { outcome } = await run(inv, pb, flaky);
    expect(outcome.results.map((r) => `${r.task}:${r.status}`)).toEqual([
      "conf:changed",
      "next:failed",
      "handler: mark:changed",
    ]);
    expect(outcome.results[1]!.error).toMatch(/cannot read facts \(exit 124\): timed out/);
    expect(readFileSync(join(dir.h1!, "handler.log"), "utf8")).toBe("x\n");
    expect(outcome.recap.h1).toEqual({ ok: 0, changed: 2, failed: 1, skipped: 0, unreachable: 0 });
  });

  it("a plan that fails half-way still notifies its handlers", async () => {
    const { inv, dir } = inventoryOf(["h1"]);
    const halfway = {
      name: "test.halfway",
      description: "",
      parseArgs: (a: unknown) => a as { dir: string },
      facts: () => [],
      plan: (ctx: { args: { dir: string } }) => ({
        changes: [
          {
            kind: "command" as const,
            summary: "first",
            command: { argv: ["touch", `${ctx.args.dir}/first`] },
          },
          { kind: "command" as const, summary: "second", command: { argv: ["false"] } },
        ],
      }),
    };
    const events = new EventBus();
    const outcome = await runPlaybook({
      inventory: inv,
      playbook: {
        ...writeAndTouch,
        stages: [stage("s", [task("half", "test.halfway", { dir: "{{ dir }}" }, { notify: ["mark"] })])],
      },
      registry: buildRegistry([halfway] as never[]),
      connector: new FakeConnector(),
      events,
      options: { check: false, forks: 1, maxFailPercent: 100 },
    });
    expect(outcome.results.map((r) => `${r.task}:${r.status}`)).toEqual([
      "half:failed",
      "handler: mark:changed",
    ]);
    expect(outcome.results[0]!.error).toMatch(/1 of 2 change\(s\) were applied/);
    expect(readFileSync(join(dir.h1!, "handler.log"), "utf8")).toBe("x\n");
  });

  it("tells afterHostStage what the host's later stages of its batch may change, and afterBatch runs after every batch", async () => {
    const { inv } = inventoryOf(["h1", "h2"]);
    const op = (name: string, mayCause?: Operation<unknown>["mayCause"]): Operation<unknown> => ({
      name,
      description: "",
      parseArgs: (a) => a,
      facts: () => [],
      plan: () => ({ changes: [] }),
      ...(mayCause ? { mayCause } : {}),
    });
    const reg = buildRegistry([
      op("test.marks", () => [cause("mark-rule-differs")]),
      op("test.conf"),
      op("test.reload", (raw) => [cause("service-reload", (raw as { name: string }).name)]),
      op("test.check"),
    ] as never[]);
    const seen: string[] = [];
    let batchesSeen = 0;
    const outcome = await runPlaybook({
      inventory: inv,
      playbook: {
        file: "pb.yaml",
        name: "t",
        handlers: [{ name: "reload it", op: "test.reload", args: { name: "keepalived" }, pos }],
        stages: [
          stage("marks", [task("m", "test.marks", {})]),
          // Only h1 runs the second stage: what h2 has ahead is the check alone.
          stage("conf", [task("c", "test.conf", {}, { notify: ["reload it"] })], "h1"),
          stage("check", [task("v", "test.check", {})]),
        ],
      },
      registry: reg,
      connector: new FakeConnector(),
      events: new EventBus(),
      options: { check: false, forks: 1, maxFailPercent: 100, serial: { kind: "count", count: 1 } },
      hooks: {
        afterHostStage: async (ctx) => {
          seen.push(
            `${ctx.host.name} ${JSON.stringify(ctx.laterCauses)} failed=${ctx.failed} batch=${ctx.batch}`,
          );
        },
        afterBatch: async () => {
          batchesSeen++;
          return batchesSeen === 2 ? new Map([["h2", "keepalived did not come back"]]) : new Map();
        },
      },
    });
    expect(seen).toEqual([
      // A handler a later task notifies counts as that task's.
      'h1 [{"kind":"service-reload","subject":"keepalived"}] failed=false batch=h1',
      "h1 [] failed=false batch=h1",
      "h1 [] failed=false batch=h1",
      "h2 [] failed=false batch=h2",
      "h2 [] failed=false batch=h2",
    ]);
    expect(batchesSeen).toBe(2);
    expect(outcome.recap.h2!.failed).toBe(1);
    const failed = outcome.results.filter((r) => r.status === "failed");
    expect(failed.map((r) => [r.host, r.task, r.error])).toEqual([
      ["h2", "restore after drain", "keepalived did not come back"],
    ]);
  });
});
