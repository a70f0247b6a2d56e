// A command that hits its time limit must leave a message saying which command
// and which limit: the only trace a failed run on a slow host leaves.
import { describe, expect, it } from "vitest";
import { ApplyError, applyChange } from "../../src/engine/apply-change.js";
import { cause } from "../../src/engine/cause.js";
import { gatherFacts } from "../../src/engine/gather.js";
import { type Fact, FactError, factRequest } from "../../src/engine/types.js";
import { LocalTransport } from "../../src/transport/local.js";
import type { Command, Transport } from "../../src/transport/types.js";
import { clipMiddle } from "../../src/util/clip.js";

const raw: Fact<string> = {
  name: "raw",
  command: (argv) => ({ argv }),
  parse: (r) => r.stdout,
};

/** The real local transport, every limit cut to 1 s (the batch's own limit is 30 s and more). */
function oneSecond(): Transport & { sent: Command[] } {
  const local = new LocalTransport();
  const sent: Command[] = [];
  return {
    hostName: "slow",
    sent,
    run: (command) => {
      sent.push(command);
      return local.run({ ...command, timeoutSec: 1 });
    },
    close: () => local.close(),
  };
}

describe("time-out messages", () => {
  it("a fact batch killed at its limit names the fact it was in and the limit", async () => {
    const t = oneSecond();
    const reqs = [
      factRequest(raw, "echo", "first"),
      factRequest(raw, "sleep", "30"),
      factRequest(raw, "true"),
    ];
    const error = await gatherFacts(t, reqs).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(FactError);
    const message = (error as Error).message;
    expect(message).toMatch(
      /^cannot read facts: the batch ended \(exit 124\) during fact raw\(sleep 30\) \(2 of 3\): /,
    );
    expect(message).toContain(
      "lvsplay: command timed out after 1s (killed by timeout): fact batch (raw(echo first), raw(sleep 30), raw(true))",
    );
    expect(t.sent[0]?.what).toBe("fact batch (raw(echo first), raw(sleep 30), raw(true))");
  });

  it("a change killed at its limit: the error keeps the note after long output", async () => {
    const t = oneSecond();
    const noisy =
      'i=0; while [ "$i" -lt 300 ]; do echo "warning line $i of the tool" >&2; i=$((i+1)); done; sleep 30';
    const error = await applyChange(t, {
      kind: "command",
      cause: cause("persisted-rules"),
      summary: "firewalld permanent: add ipset lvs_mark_list",
      command: { argv: ["sh", "-c", noisy, "lvsplay-noisy", "arg"], timeoutSec: 1 },
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ApplyError);
    const message = (error as Error).message;
    expect(message).toMatch(/^firewalld permanent: add ipset lvs_mark_list: exit 124: warning line 0 /);
    expect(message).toContain(" […] ");
    expect(message).toMatch(
      /lvsplay: command timed out after 1s \(killed by timeout\): sh -c … lvsplay-noisy arg$/,
    );
  });

  it("clipMiddle keeps both ends of long text and leaves short text alone", () => {
    expect(clipMiddle("short", 10)).toBe("short");
    const clipped = clipMiddle(`${"a".repeat(50)}${"z".repeat(50)}`, 25);
    expect(clipped).toHaveLength(25);
    expect(clipped).toBe(`${"a".repeat(10)} […] ${"z".repeat(10)}`);
  });
});
