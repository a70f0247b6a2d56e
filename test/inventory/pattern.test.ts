import { describe, expect, it } from "vitest";
import { parseInventory } from "../../src/inventory/load.js";
import { PatternError, selectHosts } from "../../src/inventory/pattern.js";
import { yaml } from "../config/problem-lines.js";

const inv = parseInventory(
  yaml(
    "groups:",
    "  empty: {}",
    "hosts:",
    "  ds1: { address: 7.7.7.11, groups: [directors, realservers] }",
    "  ds2: { address: 7.7.7.12, groups: [directors, realservers] }",
    "  rs3: { address: 7.7.7.13, groups: [realservers, web] }",
    "  client: { address: 7.7.7.50, groups: [clients] }",
  ),
  "inv.yaml",
);
const names = (pattern: string) => selectHosts(inv, pattern).map((h) => h.name);

describe("host patterns", () => {
  it("selects all hosts with all or *", () => {
    expect(names("all")).toEqual(["ds1", "ds2", "rs3", "client"]);
    expect(names("*")).toEqual(["ds1", "ds2", "rs3", "client"]);
  });

  it("selects host and group names", () => {
    expect(names("rs3")).toEqual(["rs3"]);
    expect(names("directors")).toEqual(["ds1", "ds2"]);
    expect(names("empty")).toEqual([]);
  });

  it("matches globs against host and group names", () => {
    expect(names("ds*")).toEqual(["ds1", "ds2"]);
    expect(names("*s3")).toEqual(["rs3"]);
    expect(names("ds[2]")).toEqual(["ds2"]);
    expect(names("real*")).toEqual(["ds1", "ds2", "rs3"]);
    expect(names("?s?")).toEqual(["ds1", "ds2", "rs3"]);
  });

  it("unions with : and , keeping inventory order", () => {
    expect(names("client:directors")).toEqual(["ds1", "ds2", "client"]);
    expect(names("rs3,ds1")).toEqual(["ds1", "rs3"]);
  });

  it("intersects with :&", () => {
    expect(names("realservers:&directors")).toEqual(["ds1", "ds2"]);
    expect(names("realservers:&web")).toEqual(["rs3"]);
  });

  it("excludes with :! and starts from all when only exclusions are given", () => {
    expect(names("realservers:!directors")).toEqual(["rs3"]);
    expect(names("all:!ds1:!client")).toEqual(["ds2", "rs3"]);
    expect(names("!directors")).toEqual(["rs3", "client"]);
    // order of terms does not matter
    expect(names("!ds1:realservers")).toEqual(["ds2", "rs3"]);
  });

  it("rejects names and globs that match nothing, and empty terms", () => {
    expect(() => selectHosts(inv, "directrs")).toThrow(
      new PatternError(
        'host pattern "directrs": directrs is neither a host nor a group; did you mean "directors"?',
      ),
    );
    expect(() => selectHosts(inv, "all:!nope")).toThrow(/nope is neither a host nor a group/);
    expect(() => selectHosts(inv, "zz*")).toThrow('host pattern "zz*": zz* matches no host or group');
    expect(() => selectHosts(inv, "a::b")).toThrow(/empty term/);
    expect(() => selectHosts(inv, "")).toThrow(/empty term/);
    expect(() => selectHosts(inv, "ds[1")).toThrow(/unclosed/);
  });

  it("answers a bad range or a character outside the set with one readable PatternError", () => {
    expect(() => selectHosts(inv, "ds[z-a]")).toThrow(
      new PatternError(
        'host pattern "ds[z-a]": invalid glob "ds[z-a]" (a [...] range must go from low to high, like [a-z])',
      ),
    );
    expect(() => selectHosts(inv, "ds1\n* * * * * root touch /tmp/PWNED #")).toThrow(
      /^host pattern "ds1\\n\* \* .*: "\\x0a" is not allowed$/,
    );
    expect(() => selectHosts(inv, `${"x".repeat(2000)}`)).toThrow(
      /it is 2000 characters long, the limit is 1024/,
    );
    expect(() => selectHosts(inv, "dss1")).toThrow(
      /dss1 is neither a host nor a group; did you mean "ds1"\?/,
    );
  });

  it("treats regex characters in names literally", () => {
    expect(() => selectHosts(inv, "ds.*")).toThrow(/matches no host or group/);
  });
});
