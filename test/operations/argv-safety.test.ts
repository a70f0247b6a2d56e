// Over every fixture: every command an operation plans, and every fact command
// it asks for, is an argv array of strings, and inventory values reach shell
// scripts only as positional arguments. Plans run with a FactReader alone — no
// transport exists in these tests — so a plan that tried I/O through the engine
// could not.
import { describe, expect, it } from "vitest";
import type { Command } from "../../src/transport/types.js";
import { argvProblems, inventoryValues } from "./support/argv-safety.js";
import { loadFixtures } from "./support/fixture.js";
import { runFixture } from "./support/run-fixture.js";

const fixtures = loadFixtures();

describe("commands are argv arrays, never strings built from inventory values", () => {
  it("the checker catches a VIP spliced into a sh -c script, and accepts it as a positional argument", () => {
    const values = ["7.7.7.100"];
    expect(argvProblems({ argv: ["sh", "-c", "ip addr add 7.7.7.100/32 dev lo"] }, values)).toEqual([
      "inventory value 7.7.7.100 is spliced into the sh -c script",
    ]);
    expect(
      argvProblems({ argv: ["sh", "-c", 'ip addr add "$1" dev lo', "x", "7.7.7.100/32"] }, values),
    ).toEqual([]);
    expect(argvProblems({ argv: ["sh", "-c", 'echo "$1"'] }, values)).toHaveLength(1);
    expect(argvProblems({ argv: ["ip addr add 7.7.7.100/32 dev lo"] }, values)).toHaveLength(1);
  });

  for (const f of fixtures) {
    it(f.id, () => {
      const run = runFixture(f);
      const values = inventoryValues(run.inventory, f.fixture.data);
      expect(values.length).toBeGreaterThan(0);
      const commands: { what: string; command: Command }[] = [
        ...(run.plan?.changes ?? []).flatMap((c) =>
          c.kind === "command" ? [{ what: `change "${c.summary}"`, command: c.command }] : [],
        ),
        ...run.requests.map((r) => ({
          what: `fact ${r.fact.name}(${r.args.join(" ")})`,
          command: r.fact.command(r.args),
        })),
      ];
      for (const { what, command } of commands) expect(argvProblems(command, values), what).toEqual([]);
      for (const c of run.plan?.changes ?? []) {
        if (c.kind !== "file") continue;
        expect(typeof c.path, `file change ${c.summary}`).toBe("string");
        expect(c.path.startsWith("/"), `file change ${c.summary} has an absolute path`).toBe(true);
        for (const a of c.validate ?? []) expect(typeof a).toBe("string");
      }
    });
  }
});
