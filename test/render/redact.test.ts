import { describe, expect, it } from "vitest";
import type { EngineEvent } from "../../src/engine/events.js";
import type { FileChange } from "../../src/engine/types.js";
import { describeChange } from "../../src/render/diff.js";
import { jsonRenderer } from "../../src/render/json.js";

const before =
  "vrrp_instance VI {\n    authentication {\n        auth_type PASS\n        auth_pass oldpw1\n    }\n}\n";
const after = before.replace("oldpw1", "newpw2");
const change: FileChange = {
  kind: "file",
  cause: { kind: "keepalived-config" },
  summary: "install",
  path: "/etc/keepalived/keepalived.conf",
  before,
  after,
  mode: "0640",
};

describe("secrets in output", () => {
  it("--diff shows that auth_pass changed but not its value", () => {
    const text = describeChange(change).join("\n");
    expect(text).not.toMatch(/oldpw1|newpw2/);
    expect(text).toContain("(a secret value changed; not shown)");
    const withContext = describeChange({ ...change, after: `${after}# edited\n` }).join("\n");
    expect(withContext).toContain("auth_pass <redacted>");
    expect(withContext).not.toMatch(/oldpw1|newpw2/);
  });

  it("--json never contains the VRRP password", async () => {
    let out = "";
    const render = jsonRenderer((t) => {
      out += t;
    });
    const result = {
      host: "ds1",
      stage: "s",
      task: "t",
      op: "lvs.keepalived",
      status: "changed" as const,
      changes: [change],
      notes: [],
      checks: [],
      handler: false,
      durationMs: 1,
    };
    const end: EngineEvent = { type: "run-end", recap: {}, results: [result], durationMs: 1, stats: {} };
    await render(end);
    expect(out).not.toMatch(/oldpw1|newpw2/);
    expect(JSON.parse(out).results[0].changes[0].after).toContain("auth_pass <redacted>");
  });
});
