// The audit's guarantee, proved by recording every command: in check mode only
// fact reads are sent, and the read-only transports refuse anything else even
// if the engine tried (here: an apply run through them).
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildAuditReport } from "../../src/audit/build-report.js";
import { readOnlyConnector, readOnlyTransport } from "../../src/audit/read-only.js";
import { exitCodeFor } from "../../src/cli/exit-codes.js";
import { EventBus } from "../../src/engine/events.js";
import { runPlaybook } from "../../src/engine/run.js";
import type { Inventory } from "../../src/inventory/model.js";
import { buildRegistry } from "../../src/operations/registry.js";
import type { Playbook } from "../../src/playbook/model.js";
import type { Connector, Transport } from "../../src/transport/types.js";
import { host } from "../lvs/helpers/inventory.js";
import { RecordingLocalTransport } from "../support/local-sh.js";

const dir = mkdtempSync(join(tmpdir(), "lvsplay-audit-ro-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const pos = { file: "pb.yaml", line: 1, col: 1 };

const inventory: Inventory = {
  file: "inv.yaml",
  groups: { all: ["h1"] },
  vars: {},
  hosts: [host("h1", "127.0.0.1", [])],
};
const target = join(dir, "app.conf");
const playbook: Playbook = {
  file: "pb.yaml",
  name: "writes",
  handlers: [{ name: "touch", op: "command", args: { argv: ["touch", join(dir, "handler")] }, pos }],
  stages: [
    {
      name: "s",
      hosts: "all",
      tags: [],
      pos,
      tasks: [
        {
          name: "conf",
          op: "file",
          args: { path: target, content: "x=1\n" },
          notify: ["touch"],
          tags: [],
          pos,
        },
        {
          name: "cmd",
          op: "command",
          args: { argv: ["touch", join(dir, "cmd")] },
          notify: [],
          tags: [],
          pos,
        },
      ],
    },
  ],
};

class Recording implements Connector {
  readonly inner = new RecordingLocalTransport("h1");
  async connect(): Promise<Transport> {
    return this.inner;
  }
}

async function run(connector: Connector, check: boolean) {
  return runPlaybook({
    inventory,
    playbook,
    registry: buildRegistry(),
    connector,
    events: new EventBus(),
    options: { check, forks: 5, maxFailPercent: 100 },
  });
}

describe("audit is read-only", () => {
  it("a read-only transport refuses a command that is not a fact read, without sending it", async () => {
    const inner = new RecordingLocalTransport();
    const t = readOnlyTransport(inner);
    await expect(t.run({ argv: ["touch", join(dir, "never")] })).rejects.toThrow(/audit is read-only/);
    expect(inner.sent).toHaveLength(0);
    expect((await t.run({ argv: ["true"], readOnly: true })).code).toBe(0);
  });

  it("check mode through the guard: pending changes are drift (exit 2), every command sent was a fact read", async () => {
    const rec = new Recording();
    const outcome = await run(readOnlyConnector(rec), true);
    expect(exitCodeFor(outcome, { check: true })).toBe(2);
    expect(rec.inner.sent.length).toBeGreaterThan(0);
    expect(rec.inner.sent.every((c) => c.readOnly === true)).toBe(true);
    expect([target, join(dir, "cmd"), join(dir, "handler")].map(existsSync)).toEqual([false, false, false]);
    const report = buildAuditReport({
      outcome,
      hosts: ["h1"],
      unreachable: {},
      exitCode: 2,
      inventory: "inv.yaml",
      playbook: "writes",
      toolVersion: "0",
      durationMs: 1,
      finishedAt: new Date(0),
    });
    expect(report.hosts["h1"]!.drift.map((d) => d.task)).toEqual(["conf", "cmd"]);
    expect(report.hosts["h1"]!.drift[0]!.fix).toBe(`write ${target} (new file), then touch`);
    expect(report.summary).toMatchObject({ hosts: 1, drifted: 1, driftItems: 2 });
  });

  it("even an apply run through the guard cannot change anything: the write is refused and the task fails", async () => {
    const rec = new Recording();
    const outcome = await run(readOnlyConnector(rec), false);
    expect(outcome.results[0]!.status).toBe("failed");
    expect(outcome.results[0]!.error).toMatch(/audit is read-only/);
    expect(existsSync(target)).toBe(false);
    expect(rec.inner.sent.every((c) => c.readOnly === true)).toBe(true);
  });
});
