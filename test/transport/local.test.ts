import { describe, expect, it } from "vitest";
import { LocalConnector, LocalTransport } from "../../src/transport/local.js";

describe("LocalTransport", () => {
  const local = new LocalTransport();

  it("runs argv without a shell and keeps output exactly", async () => {
    const result = await local.run({ argv: ["printf", "%s\n\n", "$HOME; echo no"] });
    expect(result).toEqual({ stdout: "$HOME; echo no\n\n", stderr: "", code: 0 });
  });

  it("returns stderr and non-zero exit codes", async () => {
    const result = await local.run({ argv: ["sh", "-c", "echo err >&2; exit 3"] });
    expect(result).toEqual({ stdout: "", stderr: "err\n", code: 3 });
  });

  it("passes stdin through", async () => {
    const input = "line 1\nünïcødé\n\n";
    expect((await local.run({ argv: ["cat"], stdin: input })).stdout).toBe(input);
  });

  it("reports a missing program like a shell would (127)", async () => {
    const result = await local.run({ argv: ["/nonexistent/prog"] });
    expect(result.code).toBe(127);
    expect(result.stderr).toContain("/nonexistent/prog");
  });

  it("reports code null when the command is killed by a signal", async () => {
    const result = await local.run({ argv: ["sh", "-c", "kill -9 $$"] });
    expect(result.code).toBeNull();
  });

  it("kills a command at its timeout and says so", async () => {
    const started = performance.now();
    const result = await local.run({ argv: ["sleep", "30"], timeoutSec: 1 });
    const elapsed = performance.now() - started;
    expect(result.code).toBe(124);
    expect(result.stderr).toMatch(/timed out after 1s \(killed by timeout\): sleep 30\n$/);
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(elapsed).toBeLessThan(3000);
  });

  it("does not call a quick exit 124 a timeout", async () => {
    const result = await local.run({ argv: ["sh", "-c", "exit 124"], timeoutSec: 5 });
    expect(result).toEqual({ stdout: "", stderr: "", code: 124 });
  });

  it("refuses to run after close", async () => {
    const transport = await new LocalConnector().connect("lab1");
    expect(transport.hostName).toBe("lab1");
    await transport.close();
    await expect(transport.run({ argv: ["true"] })).rejects.toThrow(/closed/);
  });
});
