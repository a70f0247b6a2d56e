// A restart/reload handler whose work a later task of the same stage already
// did (the service was started or restarted after the change that notified
// it) plans nothing; anything else still acts.
import { describe, expect, it } from "vitest";
import { cause } from "../../src/engine/cause.js";
import { dataReader, RunData } from "../../src/engine/data.js";
import { type Change, type FactReader, factKey, factRequest } from "../../src/engine/types.js";
import { serviceFact } from "../../src/facts/service.js";
import { parseInventory } from "../../src/inventory/load.js";
import { serviceOperation } from "../../src/operations/service.js";

const inventory = parseInventory(
  "hosts:\n  ds1: { address: 10.0.0.1, groups: [directors] }\n",
  "inline.yaml",
);
const host = inventory.hosts[0]!;

function plan(state: "restarted" | "reloaded", sinceNotified: readonly Change[] | undefined) {
  const fact = serviceFact.parse(
    { stdout: "sysv\nrunning=0\nenabled=0\nenabler=update-rc.d\nage=40\n", stderr: "", code: 0 },
    ["keepalived"],
  );
  const facts: FactReader = {
    get: <T>(req: Parameters<FactReader["get"]>[0]) => {
      expect(factKey(req)).toBe(factKey(factRequest(serviceFact, "keepalived")));
      return fact as T;
    },
  };
  const args = serviceOperation.parseArgs({ name: "keepalived", state });
  return serviceOperation.plan({
    host,
    inventory,
    args,
    facts,
    data: dataReader(new RunData()),
    selected: ["ds1"],
    check: false,
    ...(sinceNotified ? { sinceNotified } : {}),
  });
}

const command = (kind: Parameters<typeof cause>[0], subject: string, summary: string): Change => ({
  kind: "command",
  cause: cause(kind, subject),
  summary,
  command: { argv: ["true"] },
});
const start = command("service-stopped", "keepalived", "start keepalived (sysv)");
const restart = command("service-restart", "keepalived", "restart keepalived (sysv)");
const conf: Change = {
  kind: "file",
  cause: cause("keepalived-config"),
  summary: "install keepalived.conf",
  path: "/etc/keepalived/keepalived.conf",
  before: null,
  after: "x",
  mode: "0644",
};

describe("service handlers merge with a start or restart that came after their notification", () => {
  it("a restart handler after the service was started plans nothing, with a note", () => {
    const p = plan("restarted", [conf, start]);
    expect(p.changes).toEqual([]);
    expect(p.notes).toEqual([
      "keepalived: started after the change that notified this handler: not restarted again",
    ]);
  });

  it("a reload handler after the restart handler plans nothing", () => {
    const p = plan("reloaded", [restart]);
    expect(p.changes).toEqual([]);
    expect(p.notes?.[0]).toMatch(/restarted after the change .* not reloaded again/);
  });

  it("acts when nothing (re)started the service since, or another service was started", () => {
    expect(plan("restarted", [conf]).changes.map((c) => c.summary)).toEqual(["restart keepalived (sysv)"]);
    expect(plan("reloaded", undefined).changes.map((c) => c.summary)).toEqual(["reload keepalived (sysv)"]);
    const other = command("service-stopped", "nginx", "start nginx (sysv)");
    expect(plan("restarted", [other]).changes.map((c) => c.summary)).toEqual(["restart keepalived (sysv)"]);
  });
});
