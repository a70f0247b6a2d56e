// firewalld rich rules + ipset, checked by firewalld itself (1.3.3 here): the
// rule text is the one firewalld stores and prints (its Rich_Rule parser
// round-trips it), and the commands, run through firewall-offline-cmd in a
// private mount namespace, leave exactly the desired permanent configuration;
// a NIC swap then changes the ipset only, the zone's rules stay byte-identical.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  desiredRichRules,
  firewalldRichCommands,
  isOurRichRule,
  type MarkRuleSpec,
  parseRichRule,
  shlexQuote,
} from "../../src/lvs/index.js";

const specs: MarkRuleSpec[] = [
  { service: "web", vip: "192.0.2.100", protocol: "tcp", ports: [80, 443], mark: 1 },
  { service: "dns", vip: "192.0.2.101", protocol: "udp", ports: [53], mark: 0x2a },
];
const rules = desiredRichRules(specs);
const PYTHON = "/usr/bin/python3"; // firewalld's own interpreter (its modules live there)

describe("rich rules", () => {
  it("one per service port, in the text firewalld prints back", () => {
    expect(rules).toHaveLength(3);
    const r = spawnSync(
      PYTHON,
      [
        "-c",
        "import sys\nfrom firewall.core.rich import Rich_Rule\nfor l in sys.stdin.read().splitlines(): print(str(Rich_Rule(rule_str=l)))",
      ],
      { input: rules.join("\n"), encoding: "utf8" },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim().split("\n")).toEqual(rules);
  });

  it("parse back into specs; others' rules are not ours", () => {
    expect(rules.map(parseRichRule)).toEqual([
      { vip: "192.0.2.100", ports: [80], protocol: "tcp", mark: 1 },
      { vip: "192.0.2.100", ports: [443], protocol: "tcp", mark: 1 },
      { vip: "192.0.2.101", ports: [53], protocol: "udp", mark: 42 },
    ]);
    expect(isOurRichRule('rule family="ipv4" source address="10.0.0.1" accept')).toBe(false);
  });

  it("commands: additions before removals, others' rich rules untouched", () => {
    const live = {
      zones: [
        { name: "public", rules: [rules[0]!, 'rule family="ipv4" source address="10.0.0.1" accept'] },
        { name: "internal", rules: [rules[1]!] },
      ],
      set: { type: "hash:mac", entries: ["02:00:00:00:00:99"] },
    };
    const cmds = firewalldRichCommands({ zone: "public", rules, members: ["02:00:00:00:00:12"] }, live, {
      permanent: false,
    });
    expect(cmds).toEqual([
      ["firewall-cmd", "--ipset=lvs_mark_list", "--add-entry=02:00:00:00:00:12"],
      ["firewall-cmd", "--zone=public", `--add-rich-rule=${rules[1]}`, `--add-rich-rule=${rules[2]}`],
      ["firewall-cmd", "--zone=internal", `--remove-rich-rule=${rules[1]}`],
      ["firewall-cmd", "--ipset=lvs_mark_list", "--remove-entry=02:00:00:00:00:99"],
    ]);
    expect(() =>
      firewalldRichCommands(
        { zone: "public", rules, members: [] },
        { zones: [], set: null },
        { permanent: false },
      ),
    ).toThrow(/no ipset/);
  });

  // firewall-offline-cmd writes /etc/firewalld; a private mount namespace over a
  // tmpfs keeps the machine's own configuration untouched.
  it("firewall-offline-cmd ends in the desired configuration; a NIC swap changes the ipset only", () => {
    const dir = mkdtempSync(join(tmpdir(), "lvsrich-"));
    try {
      const offline = (argvs: string[][]) =>
        argvs.map((argv) => ["firewall-offline-cmd", ...argv.slice(2)].map(shlexQuote).join(" "));
      const first = firewalldRichCommands(
        { zone: "public", rules, members: ["02:00:00:00:00:12", "02:00:00:00:00:13"] },
        { zones: [{ name: "public", rules: [] }], set: null },
        { permanent: true },
      );
      const swap = firewalldRichCommands(
        { zone: "public", rules, members: ["02:00:00:00:00:12", "02:00:00:00:00:77"] },
        {
          zones: [{ name: "public", rules }],
          set: { type: "hash:mac", entries: ["02:00:00:00:00:12", "02:00:00:00:00:13"] },
        },
        { permanent: true },
      );
      expect(swap.every((a) => a.some((x) => x.startsWith("--ipset=")))).toBe(true);
      const script = [
        "set -e",
        "mount -t tmpfs lvsplay-test /etc/firewalld",
        ...offline(first).map((c) => `${c} >/dev/null`),
        "firewall-offline-cmd --zone=public --list-rich-rules",
        "echo ====",
        ...offline(swap).map((c) => `${c} >/dev/null`),
        "firewall-offline-cmd --zone=public --list-rich-rules",
        "echo ====",
        "firewall-offline-cmd --info-ipset=lvs_mark_list",
      ].join("\n");
      writeFileSync(join(dir, "run.sh"), script);
      const r = spawnSync("unshare", ["--mount", "--propagation", "private", "sh", join(dir, "run.sh")], {
        encoding: "utf8",
      });
      expect(r.status, r.stderr).toBe(0);
      const [before = "", after = "", info = ""] = r.stdout.split("====\n");
      expect(before.trim().split("\n")).toEqual(rules);
      expect(after).toBe(before);
      expect(info).toMatch(/type: hash:mac/);
      expect(info).toMatch(/entries: 02:00:00:00:00:12 02:00:00:00:00:77/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
