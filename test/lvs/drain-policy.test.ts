// The drain's decisions from data alone: which changes interrupt a holder's
// traffic, which ones the drain carries out itself, and whether to hand over.
import { describe, expect, it } from "vitest";
import { cause, inPlace } from "../../src/engine/cause.js";
import type { Change } from "../../src/engine/types.js";
import {
  afterKeepalivedWrite,
  carriedOutByDrain,
  describeHolders,
  disruptsTraffic,
  holdersOf,
  inPlaceReason,
  keepDrained,
  planHandOver,
} from "../../src/operations/lvs/drain-policy.js";

const command = (c: Change["cause"]): Change => ({
  kind: "command",
  cause: c,
  summary: "x",
  command: { argv: ["true"] },
});
const file = (c: Change["cause"]): Change => ({
  kind: "file",
  cause: c,
  summary: "x",
  path: "/etc/x",
  before: null,
  after: "",
  mode: "0644",
});

describe("disruptsTraffic", () => {
  it("keepalived config/options, mark rules and keepalived reload/restart disrupt", () => {
    expect(disruptsTraffic(file(cause("keepalived-config")))).toBe(true);
    expect(disruptsTraffic(file(cause("keepalived-options")))).toBe(true);
    for (const k of ["mark-rule-missing", "mark-rule-stale-mac", "mark-rule-differs"] as const)
      expect(disruptsTraffic(command(cause(k)))).toBe(true);
    expect(disruptsTraffic(command(cause("service-reload", "keepalived")))).toBe(true);
    expect(disruptsTraffic(command(cause("service-restart", "keepalived")))).toBe(true);
  });
  it("other changes (another service's reload, a start of keepalived, persisted rules, sysctls) do not", () => {
    expect(disruptsTraffic(command(cause("service-reload", "nginx")))).toBe(false);
    expect(disruptsTraffic(command(cause("service-stopped", "keepalived")))).toBe(false);
    expect(disruptsTraffic(file(cause("persisted-rules")))).toBe(false);
    expect(disruptsTraffic(command(cause("dr-sysctl-live")))).toBe(false);
  });
});

describe("carriedOutByDrain", () => {
  it("a start, reload or restart of keepalived is the drain's restore", () => {
    for (const k of ["service-stopped", "service-reload", "service-restart"] as const)
      expect(carriedOutByDrain(command(cause(k, "keepalived")))).toBe(true);
  });
  it("enabling at boot, other services and file writes are applied as planned", () => {
    expect(carriedOutByDrain(command(cause("service-boot", "keepalived")))).toBe(false);
    expect(carriedOutByDrain(command(cause("service-restart", "sshd")))).toBe(false);
    expect(carriedOutByDrain(file(cause("keepalived-config")))).toBe(false);
  });
});

describe("keepDrained", () => {
  it("stays drained while a later stage of the batch may rewrite marks or keepalived's configuration", () => {
    expect(keepDrained(false, [cause("persisted-rules"), cause("keepalived-config")], 0)).toBe(true);
    expect(keepDrained(false, [cause("service-reload", "keepalived")], 0)).toBe(true);
  });
  it("restores now when nothing later can disrupt (checks, another service, a start of keepalived) or the stage failed", () => {
    expect(keepDrained(false, [], 0)).toBe(false);
    expect(
      keepDrained(false, [cause("service-reload", "nginx"), cause("service-stopped", "keepalived")], 0),
    ).toBe(false);
    expect(keepDrained(true, [cause("keepalived-config")], 0)).toBe(false);
  });
  it("restores between stages when another director is in the batch: it may need this one to hand the VIP to", () => {
    expect(keepDrained(false, [cause("keepalived-config")], 1)).toBe(false);
  });
});

describe("planHandOver", () => {
  it("hands over to the peers that can take the VIP", () => {
    expect(
      planHandOver("a", ["10.0.0.1"], [{ name: "b", unfit: "keepalived is not running" }, { name: "c" }]),
    ).toEqual({
      kind: "drain",
      peers: ["c"],
    });
  });
  it("the only director changes in place", () => {
    expect(planHandOver("a", ["10.0.0.1"], [])).toEqual({ kind: "only-director" });
  });
  it("refuses when peers exist but none can take over, naming each and the way out", () => {
    const plan = planHandOver(
      "a",
      ["10.0.0.1"],
      [
        { name: "b", unfit: "keepalived is not running" },
        { name: "c", unfit: "cannot be read (timeout)" },
      ],
    );
    expect(plan.kind).toBe("refuse");
    expect(plan.kind === "refuse" && plan.reason).toBe(
      "a holds 10.0.0.1 and no peer director can take it over (b: keepalived is not running; c: cannot be read (timeout)): " +
        "refusing a change that would interrupt the service (repair a peer first, or apply with --no-drain to change it in place)",
    );
  });
});

describe("holders", () => {
  it("lists holders per VIP and says when nobody holds one", () => {
    const h = holdersOf(
      ["10.0.0.1", "10.0.0.2"],
      new Map([
        ["a", ["10.0.0.1"]],
        ["b", []],
      ]),
    );
    expect(describeHolders(h)).toBe("10.0.0.1 on a; 10.0.0.2 on no director");
  });
});

describe("changes made in place on a VIP holder", () => {
  const atomic = command(inPlace(cause("mark-rule-differs"), "one transaction"));
  const servicesOnly = file(inPlace(cause("keepalived-config"), "virtual servers only"));
  const vrrp = file(cause("keepalived-config"));
  const reload = command(cause("service-reload", "keepalived"));

  it("a change its operation says is in place needs no hand-over, and says why", () => {
    expect(disruptsTraffic(atomic)).toBe(false);
    expect(inPlaceReason(atomic, "nothing")).toBe("one transaction");
    expect(disruptsTraffic(servicesOnly)).toBe(false);
    expect(disruptsTraffic(command(cause("mark-rule-differs")))).toBe(true);
    // A kind that never disrupts has nothing to explain.
    expect(inPlaceReason(command(inPlace(cause("persisted-rules"), "x")), "nothing")).toBeUndefined();
  });

  it("a keepalived reload is in place only when everything the stage wrote to its files was", () => {
    let written = afterKeepalivedWrite("nothing", servicesOnly);
    expect(written).toBe("in-place");
    expect(disruptsTraffic(reload, written)).toBe(false);
    expect(inPlaceReason(reload, written)).toMatch(/virtual server/);
    written = afterKeepalivedWrite(written, vrrp);
    expect(written).toBe("hand-over");
    expect(disruptsTraffic(reload, written)).toBe(true);
    // Once a change needed a hand-over, a later in-place one does not undo that.
    expect(afterKeepalivedWrite(written, servicesOnly)).toBe("hand-over");
    // Nothing written this stage: the reload loads whatever is on disk.
    expect(disruptsTraffic(reload, "nothing")).toBe(true);
    expect(inPlaceReason(reload, "nothing")).toBeUndefined();
    // Other changes leave the record as it was; a restart always hands over.
    expect(afterKeepalivedWrite("in-place", atomic)).toBe("in-place");
    // A playbook's own file or command task before the reload: it may have written keepalived configuration.
    expect(afterKeepalivedWrite("in-place", file(cause("file-content")))).toBe("hand-over");
    expect(afterKeepalivedWrite("in-place", command(cause("command")))).toBe("hand-over");
    expect(disruptsTraffic(command(cause("service-restart", "keepalived")), "in-place")).toBe(true);
  });
});
