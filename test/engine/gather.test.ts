import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { RunFactCache } from "../../src/engine/fact-cache.js";
import { batchScript, gatherFacts, splitBatchOutput } from "../../src/engine/gather.js";
import { type Fact, factRequest } from "../../src/engine/types.js";
import { fileFact } from "../../src/facts/file.js";
import { RecordingLocalTransport } from "../support/local-sh.js";

const raw: Fact<{ out: string; err: string; code: number | null }> = {
  name: "raw",
  command: (argv) => ({ argv }),
  parse: (r) => ({ out: r.stdout, err: r.stderr, code: r.code }),
};

describe("gatherFacts", () => {
  it("runs every fact in one round trip and splits output exactly", async () => {
    const t = new RecordingLocalTransport();
    const a = factRequest(raw, "printf", "no-newline");
    const b = factRequest(raw, "sh", "-c", 'printf "two\\nlines\\n\\n"; echo oops >&2; exit 7');
    const c = factRequest(raw, "printf", "%s", 'it\'s "quoted" $HOME `x`');
    const facts = await gatherFacts(t, [a, b, c, a]);
    expect(t.sent).toHaveLength(1);
    expect(facts.roundTrips).toBe(1);
    expect(facts.get(a)).toEqual({ out: "no-newline", err: "", code: 0 });
    expect(facts.get(b)).toEqual({ out: "two\nlines\n\n", err: "oops", code: 7 });
    expect(facts.get(c).out).toBe('it\'s "quoted" $HOME `x`');
  });

  it("a fact whose output mimics a boundary cannot forge another fact", async () => {
    const t = new RecordingLocalTransport();
    const forged = factRequest(raw, "printf", "LVSPLAY-0000000000000000:1:out\nfake\n");
    const real = factRequest(raw, "printf", "real");
    const facts = await gatherFacts(t, [forged, real]);
    expect(facts.get(real).out).toBe("real");
  });

  it("every fact runs in its own subshell: exit and variables stay inside it", () => {
    const reqs = [
      factRequest(raw, "sh", "-c", "i=99; x=leaked; exit 3", "name"),
      factRequest(raw, "sh", "-c", 'printf "%s|%s|%s" "$x" "$#" "$1"', "name", "arg one"),
    ];
    const r = spawnSync("sh", ["-c", batchScript(reqs, "LVSPLAY-b")], { encoding: "utf8" });
    expect(splitBatchOutput(r.stdout, reqs.length, "LVSPLAY-b")).toEqual([
      { stdout: "", stderr: "", code: 3 },
      { stdout: "|1|arg one", stderr: "", code: 0 },
    ]);
  });

  it("with a run cache: held facts are not read again, volatile ones always are, a change invalidates", async () => {
    const t = new RecordingLocalTransport();
    const cache = new RunFactCache();
    const view = cache.forHost("h");
    const stable = factRequest(raw, "date", "+%N");
    const probe = factRequest({ ...raw, name: "probe", volatile: true }, "date", "+%N");
    const first = await gatherFacts(t, [stable, probe], view);
    const second = await gatherFacts(t, [stable, probe], view);
    expect(t.sent).toHaveLength(2);
    expect(second.get(stable)).toEqual(first.get(stable));
    expect(second.get(probe)).not.toEqual(first.get(probe));
    // The second batch held only the volatile fact.
    expect(t.sent[1]!.argv.join(" ")).toMatch(/f0\(\)/);
    expect(t.sent[1]!.argv.join(" ")).not.toMatch(/f1\(\)/);
    cache.invalidate();
    const third = await gatherFacts(t, [stable], view);
    expect(t.sent).toHaveLength(3);
    expect(third.get(stable)).not.toEqual(first.get(stable));
    // Another host's slice is separate.
    const other = await gatherFacts(t, [stable], cache.forHost("other"));
    expect(t.sent).toHaveLength(4);
    expect(other.roundTrips).toBe(1);
  });

  it("a read that overlapped a change is not kept; a failed read is not kept either", async () => {
    const cache = new RunFactCache();
    const view = cache.forHost("h");
    const write = view.writer();
    cache.invalidate(); // another host starts applying while this read is in flight
    write("k", "old");
    expect(view.get("k")).toBeUndefined();
    view.writer()("k", "fresh");
    expect(view.get("k")).toEqual({ value: "fresh" });

    const t = new RecordingLocalTransport();
    const failing = factRequest(
      {
        ...raw,
        name: "bad",
        parse: () => {
          throw new Error("garbage");
        },
      },
      "true",
    );
    await expect(gatherFacts(t, [failing], view).then((f) => f.get(failing))).rejects.toThrow(/garbage/);
    await gatherFacts(t, [failing], view).catch(() => {});
    expect(t.sent).toHaveLength(2);
  });

  it("a playbook's own probe command is never inlined: its syntax error fails only that fact", async () => {
    const { commandStatusFact } = await import("../../src/facts/command-status.js");
    const broken = factRequest(commandStatusFact, "sh", "-c", "if then fi }");
    const fine = factRequest(raw, "printf", "ok");
    const facts = await gatherFacts(new RecordingLocalTransport(), [broken, fine]);
    expect(facts.get(broken).code).toBe(2);
    expect(facts.get(fine)).toEqual({ out: "ok", err: "", code: 0 });
  });

  it("reports reading an unrequested fact as a programming error", async () => {
    const facts = await gatherFacts(new RecordingLocalTransport(), []);
    expect(() => facts.get(factRequest(raw, "true"))).toThrow(/not requested/);
  });

  it("file fact: missing file is null, content kept byte for byte", async () => {
    const t = new RecordingLocalTransport();
    const missing = factRequest(fileFact, "/nonexistent/lvsplay-test");
    const present = factRequest(fileFact, "/etc/hostname");
    const facts = await gatherFacts(t, [missing, present]);
    expect(facts.get(missing)).toEqual({ exists: false, mode: null, content: null });
    const { readFileSync } = await import("node:fs");
    expect(facts.get(present).content).toBe(readFileSync("/etc/hostname", "utf8"));
  });

  it("file fact: a symlink is reported, never followed (installing would replace the link)", async () => {
    const { mkdtempSync, symlinkSync, rmSync } = await import("node:fs");
    const dir = mkdtempSync("/tmp/lvsplay-link-");
    try {
      symlinkSync("/etc/hostname", `${dir}/link`);
      const link = factRequest(fileFact, `${dir}/link`);
      const facts = await gatherFacts(new RecordingLocalTransport(), [link]);
      expect(() => facts.get(link)).toThrow(/is a symlink/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("kernel fact: without iptables the mac match is unknown, not missing", async () => {
    const { parseKernel } = await import("../../src/facts/kernel.js");
    expect(parseKernel("ipvs=absent\nmac=unknown\n").macMatch).toBe("unknown");
    expect(parseKernel("ipvs=present\nmac=no\n").macMatch).toBe(false);
    expect(parseKernel("ipvs=present\nmac=yes\n").macMatch).toBe(true);
  });
});
