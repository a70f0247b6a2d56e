// The fixture file format: one YAML file per case under
// test/operations/fixtures/<op>/<case>.yaml (see fixtures/README.md).
// Raw fact outputs are preferred to parsed values, so the real parsers run too.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseDocument } from "yaml";
import { z } from "zod";

export const FIXTURES_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures");

/** One gathered fact: its command's raw output (parsed by the real parser) or a parsed value. */
const factEntry = z
  .strictObject({
    fact: z.string(),
    args: z.array(z.string()).default([]),
    /** Raw stdout of the fact command. */
    stdout: z.string().optional(),
    /** Raw stdout read from a file under fixtures/ (e.g. captures/network/ds1-bare.txt). */
    stdoutFile: z.string().optional(),
    /** Prepended to stdoutFile's content (e.g. the mode line of the file fact). */
    stdoutPrefix: z.string().optional(),
    stderr: z.string().default(""),
    code: z.number().int().nullable().default(0),
    /** Parsed value, when raw output would add nothing. */
    value: z.unknown().optional(),
    /** Parsed value read from a YAML file under fixtures/ (when the raw form is unreadable, e.g. base64). */
    valueFile: z.string().optional(),
  })
  .refine((f) => [f.stdout, f.stdoutFile, f.value, f.valueFile].filter((x) => x !== undefined).length === 1, {
    message: "exactly one of stdout, stdoutFile, value, valueFile",
  });
export type FactEntry = z.infer<typeof factEntry>;

/** What a plan came out as, in a form that reads well in YAML. */
export const expectedPlan = z.strictObject({
  changes: z.array(z.record(z.string(), z.unknown())),
  notes: z.array(z.string()).optional(),
  error: z.string().optional(),
  skipped: z.string().optional(),
  /** Typed values the plan produced: key name → value. */
  produces: z.record(z.string(), z.unknown()).optional(),
  checks: z.array(z.strictObject({ name: z.string(), status: z.string(), detail: z.string() })).optional(),
  /** plan() threw this message (the engine fails the task with it). */
  thrown: z.string().optional(),
});
export type ExpectedPlan = z.infer<typeof expectedPlan>;

const fixtureSchema = z
  .strictObject({
    description: z.string(),
    op: z.string(),
    /** Name of a file under fixtures/inventories/ (without .yaml) … */
    inventory: z.string().optional(),
    /** … or the inventory YAML inline. */
    inventoryYaml: z.string().optional(),
    host: z.string(),
    args: z.unknown().optional(),
    check: z.boolean().default(false),
    /** Typed values earlier tasks produced: host → key name (e.g. lvs.data_plane) → value. */
    data: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
    facts: z.array(factEntry).default([]),
    /**
     * A known operation bug this fixture demonstrates: its `expected` is the correct
     * behaviour, written by hand, so the case fails until the bug is fixed.
     * UPDATE_FIXTURES never rewrites such a fixture.
     */
    bug: z.string().optional(),
    /** Hand-written properties of the result; UPDATE_FIXTURES never touches them. */
    assert: z
      .strictObject({
        afterContains: z.array(z.string()).optional(),
        afterNotContains: z.array(z.string()).optional(),
        /** Some file change's new content starts with this fixture file, byte for byte. */
        afterStartsWithFile: z.string().optional(),
      })
      .optional(),
    expected: expectedPlan.optional(),
  })
  .refine((f) => (f.inventory === undefined) !== (f.inventoryYaml === undefined), {
    message: "exactly one of inventory, inventoryYaml",
  });
export type Fixture = z.infer<typeof fixtureSchema>;

export interface LoadedFixture {
  /** Path relative to fixtures/, e.g. "lvs.marks/bare.yaml". */
  readonly id: string;
  readonly path: string;
  readonly fixture: Fixture;
}

function walk(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return walk(path);
      return name.endsWith(".yaml") ? [path] : [];
    });
}

/** Every case file (fixtures/<op>/<case>.yaml; inventories/ and captures/ are not cases). */
export function loadFixtures(): LoadedFixture[] {
  return walk(FIXTURES_DIR)
    .filter((p) => !/\/(inventories|captures)\//.test(p))
    .map((path) => {
      const id = relative(FIXTURES_DIR, path);
      const doc = parseDocument(readFileSync(path, "utf8"), { uniqueKeys: true });
      if (doc.errors.length > 0) throw new Error(`${id}: ${doc.errors.map((e) => e.message).join("; ")}`);
      const parsed = fixtureSchema.safeParse(doc.toJS());
      if (!parsed.success) throw new Error(`${id}: ${z.prettifyError(parsed.error)}`);
      return { id, path, fixture: parsed.data };
    });
}

export const readFixtureFile = (rel: string): string => readFileSync(join(FIXTURES_DIR, rel), "utf8");
