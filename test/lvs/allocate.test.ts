import { describe, expect, it } from "vitest";
import { allocateMarks } from "../../src/lvs/marks/allocate.js";
import { inventory, webService } from "./helpers/inventory.js";

const two = (): ReturnType<typeof webService>[] => [
  webService(),
  webService({ name: "api", vip: "7.7.7.101", ports: [80, 443] }),
];

describe("allocateMarks", () => {
  it("numbers the seed naturally: ds1 → 1, ds2 → 2", () => {
    expect(allocateMarks(inventory(), {})).toEqual({
      marks: { ds1: { web: 1 }, ds2: { web: 2 } },
      errors: [],
    });
  });

  it("goes service-major, so appending a service keeps existing marks", () => {
    const before = allocateMarks(inventory({ services: [webService()] }), {});
    const after = allocateMarks(inventory({ services: two() }), {});
    expect(after.marks).toEqual({ ds1: { web: 1, api: 3 }, ds2: { web: 2, api: 4 } });
    expect(after.marks.ds1!.web).toBe(before.marks.ds1!.web);
    expect(after.marks.ds2!.web).toBe(before.marks.ds2!.web);
  });

  it("is deterministic whatever the order of the per-host facts", () => {
    const inv = inventory({ directors: 3, services: two() });
    const a = allocateMarks(inv, { ds1: new Set([2]), ds3: new Set([5]) });
    const b = allocateMarks(inv, { ds3: new Set([5]), ds1: new Set([2]) });
    expect(a).toEqual(b);
  });

  it("is unique per host, never 0, and skips marks foreign rules use on that host", () => {
    const inv = inventory({ directors: 3, services: two() });
    const { marks, errors } = allocateMarks(inv, { ds1: new Set([1, 2]), ds2: new Set([3]) });
    expect(errors).toEqual([]);
    expect(marks.ds1!.web).toBe(3); // 1 and 2 are foreign on ds1
    expect(marks.ds2!.web).toBe(4); // 3 is foreign on ds2
    for (const [host, perHost] of Object.entries(marks)) {
      const values = Object.values(perHost);
      expect(new Set(values).size, host).toBe(values.length);
      expect(values.every((m) => m > 0)).toBe(true);
    }
    expect(marks.ds1!.api).not.toBe(1);
  });

  it("honours pinned marks and allocates around them", () => {
    const inv = inventory({ services: [webService({ fwmarks: { ds1: 3, ds2: 1 } }), two()[1]!] });
    const { marks, errors } = allocateMarks(inv, {});
    expect(errors).toEqual([]);
    expect(marks).toEqual({ ds1: { web: 3, api: 2 }, ds2: { web: 1, api: 4 } });
  });

  it("reports a pinned mark that a foreign rule already uses on that host", () => {
    const inv = inventory({ services: [webService({ fwmarks: { ds1: 7 } })] });
    const { errors } = allocateMarks(inv, { ds1: new Set([7]) });
    expect(errors).toEqual([
      "ds1: pinned fwmark 7 of service web is already set by a rule lvsplay does not own",
    ]);
    // the same mark foreign on another host is fine
    expect(allocateMarks(inv, { ds2: new Set([7]) }).errors).toEqual([]);
  });

  it("reports two services pinned to the same mark on one director", () => {
    const inv = inventory({
      services: [
        webService({ fwmarks: { ds2: 5 } }),
        webService({ name: "api", vip: "7.7.7.101", fwmarks: { ds2: 5 } }),
      ],
    });
    expect(allocateMarks(inv, {}).errors).toEqual(["ds2: services web and api are both pinned to fwmark 5"]);
  });

  it("rejects invalid pins and pins for non-directors", () => {
    const inv = inventory({ services: [webService({ fwmarks: { ds1: 0, rs3: 4, ds2: 2 ** 32 } })] });
    expect(allocateMarks(inv, {}).errors).toEqual([
      "service web: fwmark 0 on ds1 must be an integer in 1..4294967295",
      "service web: fwmark pinned for rs3, which is not a director",
      "service web: fwmark 4294967296 on ds2 must be an integer in 1..4294967295",
    ]);
  });
});

describe("allocateMarks with connection_sync: one mark per service on every director", () => {
  const synced = (opts: Parameters<typeof inventory>[0] = {}) =>
    inventory({ ...opts, lvs: { connectionSync: true, ...opts.lvs } });

  it("gives every director the same mark, service by service", () => {
    expect(allocateMarks(synced({ directors: 3, services: two() }), {})).toEqual({
      marks: { ds1: { web: 1, api: 2 }, ds2: { web: 1, api: 2 }, ds3: { web: 1, api: 2 } },
      errors: [],
    });
  });

  it("skips marks a foreign rule uses on ANY director", () => {
    const { marks, errors } = allocateMarks(synced({ services: two() }), {
      ds2: new Set([1]),
      ds1: new Set([3]),
    });
    expect(errors).toEqual([]);
    expect(marks).toEqual({ ds1: { web: 2, api: 4 }, ds2: { web: 2, api: 4 } });
  });

  it("uses a pinned mark for every director, and refuses pins that differ or clash", () => {
    const pinned = synced({ services: [webService({ fwmarks: { ds1: 9 } }), two()[1]!] });
    expect(allocateMarks(pinned, {}).marks).toEqual({ ds1: { web: 9, api: 1 }, ds2: { web: 9, api: 1 } });
    const differ = synced({ services: [webService({ fwmarks: { ds1: 3, ds2: 4 } })] });
    expect(allocateMarks(differ, {}).errors).toEqual([
      "service web: connection_sync needs one fwmark on every director, pinned 3 and 4",
    ]);
    expect(allocateMarks(pinned, { ds2: new Set([9]) }).errors).toEqual([
      "ds2: pinned fwmark 9 of service web is already set by a rule lvsplay does not own",
    ]);
  });

  it("checks pinned marks as the per-director scheme does: range, two services on one mark", () => {
    const [web, api] = two();
    const both = synced({
      services: [webService({ fwmarks: { ds1: 5 } }), { ...api!, fwmarks: { ds2: 5 } }],
    });
    expect(allocateMarks(both, {}).errors).toEqual([
      "every director: services web and api are both pinned to fwmark 5",
    ]);
    const zero = synced({ services: [{ ...web!, fwmarks: { ds1: 0 } }] });
    expect(allocateMarks(zero, {}).errors).toEqual([
      "service web: fwmark 0 on every director must be an integer in 1..4294967295",
    ]);
  });
});
