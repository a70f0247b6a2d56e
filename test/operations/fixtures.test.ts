// Every fixture under test/operations/fixtures/<op>/<case>.yaml: facts in →
// plan out, compared with the fixture's `expected`. UPDATE_FIXTURES=1 rewrites
// `expected` (and only it: comments and the rest of the file are kept) — review
// every rewritten expectation by hand before committing.
import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseDocument, visit } from "yaml";
import { loadFixtures, readFixtureFile } from "./support/fixture.js";
import { planView, runFixture } from "./support/run-fixture.js";

const UPDATE = process.env.UPDATE_FIXTURES === "1";
const fixtures = loadFixtures();

/** Rewrites `expected`; multi-line strings everywhere become `|` blocks so outputs stay readable. */
function rewriteExpected(path: string, expected: unknown): void {
  const doc = parseDocument(readFileSync(path, "utf8"));
  doc.set("expected", doc.createNode(expected));
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value !== "string") return;
      if (node.value.includes("\n")) node.type = "BLOCK_LITERAL";
      else if (node.type === "BLOCK_FOLDED" || node.type === "BLOCK_LITERAL") node.type = "PLAIN";
    },
  });
  writeFileSync(path, doc.toString({ lineWidth: 0, flowCollectionPadding: false }));
}

const fileAfters = (view: ReturnType<typeof planView>): string[] =>
  view.changes.filter((c) => c["kind"] === "file").map((c) => String(c["after"]));

describe("operation fixtures", () => {
  it("there are fixtures for every LVS operation and the generic ones", () => {
    const ops = new Set(fixtures.map((f) => f.fixture.op));
    for (const op of [
      "lvs.packages",
      "lvs.discover",
      "lvs.marks",
      "lvs.persist",
      "lvs.dr_sysctl",
      "lvs.lo_vip",
      "lvs.keepalived",
      "lvs.firewalld_open",
      "lvs.verify",
      "lvs.verify_cluster",
      "file",
      "command",
      "service",
    ])
      expect(ops, `no fixture for ${op}`).toContain(op);
  });

  for (const f of fixtures) {
    it(`${f.id}: ${f.fixture.description}`, () => {
      expect(f.id.split("/")[0], "fixture folder names its operation").toBe(f.fixture.op);
      const view = planView(runFixture(f));
      // Determinism: a second run over the same facts plans the same thing.
      expect(planView(runFixture(f))).toEqual(view);
      if (UPDATE && f.fixture.bug === undefined) rewriteExpected(f.path, view);
      else {
        expect(
          f.fixture.expected,
          `${f.id} has no expected section: run with UPDATE_FIXTURES=1`,
        ).toBeDefined();
        expect(view).toEqual(f.fixture.expected);
      }
      const afters = fileAfters(view);
      for (const s of f.fixture.assert?.afterContains ?? [])
        expect(
          afters.some((a) => a.includes(s)),
          `some file change's content contains ${JSON.stringify(s)}`,
        ).toBe(true);
      for (const s of f.fixture.assert?.afterNotContains ?? [])
        expect(
          afters.every((a) => !a.includes(s)),
          `no file change's content contains ${JSON.stringify(s)}`,
        ).toBe(true);
      const prefixFile = f.fixture.assert?.afterStartsWithFile;
      if (prefixFile !== undefined) {
        const prefix = readFixtureFile(prefixFile);
        expect(
          afters.some((a) => a.startsWith(prefix)),
          `some file change's content starts with ${prefixFile} byte for byte`,
        ).toBe(true);
      }
    });
  }
});
