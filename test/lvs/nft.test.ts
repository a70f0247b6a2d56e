// The nftables rendering, checked by the real nft (1.0.6 here): the text is
// valid (`nft -c`), applies in a throwaway network namespace, reads back
// through `nft -j` into exactly the specs it came from, and a set-only update
// leaves the rules byte-identical (same text, same handles).
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  includesAfterFlush,
  type MarkRuleSpec,
  mergeNftInclude,
  nftRulesMatch,
  nftSetMatches,
  parseNftRuleset,
  renderNftReplace,
  renderNftSetUpdate,
} from "../../src/lvs/index.js";

const specs: MarkRuleSpec[] = [
  { service: "web", vip: "192.0.2.100", protocol: "tcp", ports: [80], mark: 1 },
  { service: "dns", vip: "192.0.2.101", protocol: "udp", ports: [53, 5353], mark: 0x2a },
];
const peers = ["02:00:00:00:00:12", "02:00:00:00:00:13"];

/** Runs a shell script in a fresh network namespace (nothing on the machine changes). */
function inNetns(script: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync("unshare", ["--net", "sh", "-c", script], { encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function withFiles<T>(files: Record<string, string>, fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), "lvsnft-"));
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("nftables table", () => {
  it("is valid nft, applies, and reads back into the same specs and members", () => {
    withFiles({ "t.nft": renderNftReplace(specs, peers) }, (dir) => {
      // Applied twice: the script replaces the table (never duplicates rules).
      const r = inNetns(
        `nft -c -f ${dir}/t.nft && nft -f ${dir}/t.nft && nft -f ${dir}/t.nft && nft -j list ruleset`,
      );
      expect(r.code, r.stderr).toBe(0);
      const view = parseNftRuleset(r.stdout);
      expect(view.ours?.rules).toEqual(specs);
      expect(nftRulesMatch(view.ours, specs)).toBe(true);
      expect(nftSetMatches(view.ours, peers)).toBe(true);
      expect(nftSetMatches(view.ours, peers.slice(1))).toBe(false);
      expect(view.foreignMarks).toEqual([]);
    });
  });

  it("a lone director's table has an empty set and still loads", () => {
    withFiles({ "t.nft": renderNftReplace(specs.slice(0, 1), []) }, (dir) => {
      const r = inNetns(`nft -f ${dir}/t.nft && nft -j list ruleset`);
      expect(r.code, r.stderr).toBe(0);
      expect(nftSetMatches(parseNftRuleset(r.stdout).ours, [])).toBe(true);
    });
  });

  it("a NIC swap replaces only the set's members: rules keep their text and handles", () => {
    const swapped = ["02:00:00:00:00:12", "02:00:00:00:00:99"];
    withFiles({ "t.nft": renderNftReplace(specs, peers), "u.nft": renderNftSetUpdate(swapped) }, (dir) => {
      const r = inNetns(
        `nft -f ${dir}/t.nft && nft -a list chain inet lvsplay prerouting && echo ==== && ` +
          `nft -f ${dir}/u.nft && nft -a list chain inet lvsplay prerouting && echo ==== && nft -j list ruleset`,
      );
      expect(r.code, r.stderr).toBe(0);
      const [before, after, json] = r.stdout.split("====\n");
      expect(after).toBe(before);
      const view = parseNftRuleset(json ?? "");
      expect(nftSetMatches(view.ours, swapped)).toBe(true);
      expect(nftRulesMatch(view.ours, specs)).toBe(true);
    });
  });

  it("marks set by other tables are foreign; a changed rule of ours is not recognised", () => {
    const other =
      "table ip qos {\n\tchain pre {\n\t\ttype filter hook prerouting priority mangle;\n\t\tmeta mark set 0x7\n\t}\n}\n";
    withFiles({ "t.nft": renderNftReplace(specs, peers), "o.nft": other }, (dir) => {
      const r = inNetns(
        `nft -f ${dir}/t.nft && nft -f ${dir}/o.nft && ` +
          `nft insert rule inet lvsplay prerouting ip daddr 192.0.2.9 meta mark set 0x9 && nft -j list ruleset`,
      );
      expect(r.code, r.stderr).toBe(0);
      const view = parseNftRuleset(r.stdout);
      expect(view.foreignMarks).toEqual([7]);
      expect(view.ours?.rules[0]).toBeNull();
      expect(nftRulesMatch(view.ours, specs)).toBe(false);
    });
  });
});

describe("nftables.conf include", () => {
  const stock =
    "#!/usr/sbin/nft -f\n\nflush ruleset\n\ntable inet filter {\n\tchain input {\n\t\ttype filter hook input priority filter;\n\t}\n}\n";

  it("goes right after the last flush ruleset, once, everything else byte for byte", () => {
    const merged = mergeNftInclude(stock, "/etc/nftables.d/lvsplay.nft");
    expect(merged).toBe(
      stock.replace("flush ruleset\n", 'flush ruleset\ninclude "/etc/nftables.d/lvsplay.nft"\n'),
    );
    expect(mergeNftInclude(merged, "/etc/nftables.d/lvsplay.nft")).toBe(merged);
    expect(includesAfterFlush(merged, "/etc/nftables.d/lvsplay.nft")).toBe(true);
    // An include before the flush would be flushed at boot: moved after it.
    const early = `include "/etc/nftables.d/lvsplay.nft"\n${stock}`;
    expect(includesAfterFlush(early, "/etc/nftables.d/lvsplay.nft")).toBe(false);
    expect(mergeNftInclude(early, "/etc/nftables.d/lvsplay.nft")).toBe(merged);
    // No flush (RHEL's sysconfig file is comments only): appended.
    expect(mergeNftInclude("# comments\n", "/etc/nftables/lvsplay.nft")).toBe(
      '# comments\ninclude "/etc/nftables/lvsplay.nft"\n',
    );
  });

  it("a boot (nft -f the config: flush, then our include) leaves our table loaded, once", () => {
    withFiles({ "lvsplay.nft": renderNftReplace(specs, peers) }, (dir) => {
      writeFileSync(join(dir, "nftables.conf"), mergeNftInclude(stock, join(dir, "lvsplay.nft")));
      const r = inNetns(
        `nft -c -f ${dir}/nftables.conf && nft -f ${dir}/nftables.conf && nft -f ${dir}/nftables.conf && nft -j list ruleset`,
      );
      expect(r.code, r.stderr).toBe(0);
      const view = parseNftRuleset(r.stdout);
      expect(nftRulesMatch(view.ours, specs)).toBe(true);
      expect(nftSetMatches(view.ours, peers)).toBe(true);
    });
  });
});
