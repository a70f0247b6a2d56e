// Live sysctl values against wanted ones: vector values (sync_threshold) read
// back from /proc with a tab and are written with a space.
import { describe, expect, it } from "vitest";
import { sameSysctlValue } from "../../src/operations/lvs/sysctl-plan.js";

describe("sameSysctlValue", () => {
  it("reads the kernel's tab-separated vectors as the space-separated value written", () => {
    expect(sameSysctlValue("3\t0", "3 0")).toBe(true);
    expect(sameSysctlValue("3\t50", "3 0")).toBe(false);
    expect(sameSysctlValue("1", "1")).toBe(true);
  });
  it("a missing key is never the wanted value", () => {
    expect(sameSysctlValue(null, "1")).toBe(false);
    expect(sameSysctlValue(undefined, "1")).toBe(false);
    expect(sameSysctlValue("", "1")).toBe(false);
  });
});
