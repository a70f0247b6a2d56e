// Runs one fixture: inventory + produced data + fact outputs → op.facts() →
// op.plan(). There is no transport anywhere: the plan sees only a FactReader
// that serves the facts the operation declared, parsed by the real parsers.

import { parse } from "yaml";
import { dataReader, RunData } from "../../../src/engine/data.js";
import type { Change, FactReader, FactRequest, Plan, PlanContext } from "../../../src/engine/types.js";
import { factKey } from "../../../src/engine/types.js";
import { ALL_FACTS } from "../../../src/facts/index.js";
import { parseInventory } from "../../../src/inventory/load.js";
import type { Inventory } from "../../../src/inventory/model.js";
import { FIREWALLD_DBUS_SCRIPT } from "../../../src/lvs/marks/firewalld-dbus.js";
import { defaultRegistry } from "../../../src/operations/all.js";
import { LVS_DATA_KEYS } from "../../../src/operations/lvs/data-keys.js";
import type { ExpectedPlan, FactEntry, LoadedFixture } from "./fixture.js";
import { readFixtureFile } from "./fixture.js";

const FACTS = ALL_FACTS;

const registry = defaultRegistry();

const entryKey = (e: Pick<FactEntry, "fact" | "args">): string => JSON.stringify([e.fact, ...e.args]);

function factValue(id: string, e: FactEntry): unknown {
  if (e.value !== undefined) return e.value;
  if (e.valueFile !== undefined) return parse(readFixtureFile(e.valueFile));
  const fact = FACTS.get(e.fact);
  if (!fact) throw new Error(`${id}: unknown fact ${e.fact}`);
  const stdout = e.stdout ?? (e.stdoutPrefix ?? "") + readFixtureFile(e.stdoutFile!);
  try {
    return fact.parse({ stdout, stderr: e.stderr, code: e.code }, e.args);
  } catch (error) {
    // Like the gatherer: a fact that fails to parse is an error the plan sees on read.
    return error instanceof Error ? error : new Error(String(error));
  }
}

/** Serves only requested facts; reading anything else is the programming error FactReader forbids. */
class FixtureFacts implements FactReader {
  constructor(
    private readonly values: ReadonlyMap<string, unknown>,
    private readonly requested: ReadonlySet<string>,
  ) {}
  get<T>(req: FactRequest<T>): T {
    const key = factKey(req);
    if (!this.requested.has(key)) throw new Error(`plan() read fact ${key}, which facts() did not request`);
    const v = this.values.get(key);
    if (v instanceof Error) throw v;
    return v as T;
  }
}

export interface FixtureRun {
  readonly inventory: Inventory;
  readonly requests: readonly FactRequest[];
  /** The plan, unless plan() threw. */
  readonly plan?: Plan;
  readonly thrown?: string;
}

export function loadFixtureInventory(f: LoadedFixture): Inventory {
  const { inventory, inventoryYaml } = f.fixture;
  if (inventoryYaml !== undefined) return parseInventory(inventoryYaml, `${f.id}#inventoryYaml`);
  const rel = `inventories/${inventory}.yaml`;
  return parseInventory(readFixtureFile(rel), rel);
}

/** The fixture's data, each value validated by its key's schema. */
function fixtureData(id: string, raw: Readonly<Record<string, Readonly<Record<string, unknown>>>>): RunData {
  const store = new RunData();
  for (const [host, byKey] of Object.entries(raw))
    for (const [name, value] of Object.entries(byKey)) {
      const key = LVS_DATA_KEYS.find((k) => k.name === name);
      if (!key)
        throw new Error(
          `${id}: unknown data key ${name} (have ${LVS_DATA_KEYS.map((k) => k.name).join(", ")})`,
        );
      key.parse(value).store(store, host);
    }
  return store;
}

/** Runs the fixture; throws with a clear message when a requested fact is missing from it. */
export function runFixture(f: LoadedFixture): FixtureRun {
  const { fixture, id } = f;
  const op = registry.get(fixture.op);
  if (!op) throw new Error(`${id}: no operation ${fixture.op}`);
  const inventory = loadFixtureInventory(f);
  const host = inventory.hosts.find((h) => h.name === fixture.host);
  if (!host) throw new Error(`${id}: host ${fixture.host} is not in the inventory`);
  const base: Omit<PlanContext<unknown>, "facts"> = {
    host,
    inventory,
    args: op.parseArgs(fixture.args),
    data: dataReader(fixtureData(id, fixture.data)),
    selected: [host.name],
    check: fixture.check,
  };
  const requests = op.facts(base);
  const requested = new Set(requests.map(factKey));
  const provided = new Map(fixture.facts.map((e) => [entryKey(e), e]));
  const missing = [...requested].filter((k) => !provided.has(k));
  if (missing.length > 0)
    throw new Error(`${id}: ${fixture.op} requested facts the fixture lacks: ${missing.join(", ")}`);
  const unused = [...provided.keys()].filter((k) => !requested.has(k));
  if (unused.length > 0)
    throw new Error(`${id}: fixture provides facts ${fixture.op} did not request: ${unused.join(", ")}`);
  const values = new Map([...provided].map(([k, e]) => [k, factValue(id, e)]));
  try {
    return { inventory, requests, plan: op.plan({ ...base, facts: new FixtureFacts(values, requested) }) };
  } catch (error) {
    // The engine fails the task with this message (e.g. a fact that could not be parsed).
    return { inventory, requests, thrown: error instanceof Error ? error.message : String(error) };
  }
}

const causeView = (c: Change): string =>
  [
    c.cause.kind,
    c.cause.subject,
    c.cause.inPlace === undefined ? undefined : `(in place: ${c.cause.inPlace})`,
  ]
    .filter((p) => p !== undefined)
    .join(" ");

function changeView(c: Change): Record<string, unknown> {
  if (c.kind === "file") {
    return {
      kind: "file",
      cause: causeView(c),
      summary: c.summary,
      path: c.path,
      mode: c.mode,
      ...(c.validate ? { validate: [...c.validate] } : {}),
      ...(c.backup !== undefined ? { backup: c.backup } : {}),
      before: c.before,
      after: c.after,
    };
  }
  return {
    kind: "command",
    cause: causeView(c),
    summary: c.summary,
    argv: c.command.argv.map((a, i) =>
      i === 2 && c.command.argv[0] === "sh" && a === FIREWALLD_DBUS_SCRIPT ? "<FIREWALLD_DBUS_SCRIPT>" : a,
    ),
    ...(c.equivalent !== undefined ? { equivalent: [...c.equivalent] } : {}),
    ...(c.command.stdin !== undefined ? { stdin: c.command.stdin } : {}),
    ...(c.command.become !== undefined ? { become: c.command.become } : {}),
    ...(c.before !== undefined ? { before: c.before } : {}),
    ...(c.after !== undefined ? { after: c.after } : {}),
  };
}

/** The plan as fixtures spell it (JSON-clean: no undefined, no class instances). */
export function planView(run: Pick<FixtureRun, "plan" | "thrown">): ExpectedPlan {
  const { plan } = run;
  if (!plan) return { changes: [], thrown: run.thrown ?? "" };
  const view: ExpectedPlan = { changes: plan.changes.map(changeView) };
  if (plan.notes && plan.notes.length > 0) view.notes = [...plan.notes];
  if (plan.error !== undefined) view.error = plan.error;
  if (plan.skipped !== undefined) view.skipped = plan.skipped;
  if (plan.produce !== undefined)
    view.produces = Object.fromEntries(
      plan.produce.map((p) => [p.key.name, JSON.parse(JSON.stringify(p.value))]),
    );
  if (plan.checks !== undefined) view.checks = plan.checks.map((c) => ({ ...c }));
  return view;
}
