import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { desiredMarkRules } from "../../src/lvs/marks/chain.js";
import {
  firewalldCommands,
  firewalldDirectRules,
  firewalldDirectXml,
  parseFirewalldDirectList,
  shlexQuote,
} from "../../src/lvs/marks/firewalld.js";
import { fixture } from "./helpers/golden.js";
import { allFacts, webService } from "./helpers/inventory.js";

const facts = allFacts(2);
const ours = desiredMarkRules(facts[0]!, facts, [webService()], { web: 1 });
const desired = firewalldDirectRules(ours);

describe("firewalldDirectRules", () => {
  it("has the chain, the PREROUTING jump and one rule per service with unquoted argv", () => {
    expect(desired.chain).toEqual(["ipv4", "mangle", "LVSPLAY-MARK"]);
    expect(desired.rules[0]).toEqual(["ipv4", "mangle", "PREROUTING", "0", "-j", "LVSPLAY-MARK"]);
    expect(desired.rules[1]).toEqual([
      "ipv4",
      "mangle",
      "LVSPLAY-MARK",
      "0",
      "-d",
      "7.7.7.100/32",
      "-p",
      "tcp",
      "-m",
      "tcp",
      "--dport",
      "80",
      "-m",
      "mac",
      "!",
      "--mac-source",
      "02:00:07:07:07:12",
      "-m",
      "comment",
      "--comment",
      "lvsplay:web",
      "-j",
      "MARK",
      "--set-xmark",
      "0x1/0xffffffff",
    ]);
  });
});

describe("firewalldCommands", () => {
  // Fixture: --get-all-rules / --get-all-chains captured from firewall-offline-cmd 1.3.3 on this machine:
  // our jump, our web rule (current), a stale rule of ours, and someone else's filter rule.
  const live = {
    rules: parseFirewalldDirectList(fixture("firewalld-get-all-rules.txt")),
    chains: parseFirewalldDirectList(fixture("firewalld-get-all-chains.txt")),
  };

  it("removes only our stale rule and adds nothing that is there", () => {
    expect(firewalldCommands(desired, live)).toEqual([
      [
        "firewall-cmd",
        "--permanent",
        "--direct",
        "--remove-rule",
        "ipv4",
        "mangle",
        "LVSPLAY-MARK",
        "0",
        "-d",
        "7.7.7.99/32",
        "-p",
        "tcp",
        "-m",
        "tcp",
        "--dport",
        "80",
        "-m",
        "comment",
        "--comment",
        "lvsplay:old service",
        "-j",
        "MARK",
        "--set-xmark",
        "0x9/0xffffffff",
      ],
    ]);
  });

  it("creates chain, jump and rules from nothing; nothing to do when in sync", () => {
    const fresh = firewalldCommands(desired, { rules: [], chains: [] }, { permanent: false });
    expect(fresh.map((c) => c.slice(0, 3))).toEqual([
      ["firewall-cmd", "--direct", "--add-chain"],
      ["firewall-cmd", "--direct", "--add-rule"],
      ["firewall-cmd", "--direct", "--add-rule"],
    ]);
    expect(firewalldCommands(desired, { rules: desired.rules, chains: [desired.chain] })).toEqual([]);
  });
});

describe("firewalldDirectXml", () => {
  it("quotes like shlex", () => {
    expect(shlexQuote("!")).toBe("'!'");
    expect(shlexQuote("lvsplay:web")).toBe("lvsplay:web");
    expect(shlexQuote("it's")).toBe(`'it'"'"'s'`);
  });

  // firewall-offline-cmd writes /etc/firewalld/direct.xml; run it in a private mount
  // namespace over a tmpfs so the machine's /etc/firewalld is never touched.
  it("matches what firewall-offline-cmd writes for the same commands", () => {
    const dir = mkdtempSync(join(tmpdir(), "lvsfwd-"));
    try {
      const commands = firewalldCommands(desired, { rules: [], chains: [] }, { permanent: false }).map(
        (argv) => ["firewall-offline-cmd", ...argv.slice(1)].map(shlexQuote).join(" "),
      );
      const script = [
        "set -e",
        "mount -t tmpfs lvsplay-test /etc/firewalld",
        ...commands.map((c) => `${c} >/dev/null 2>&1`),
        `cp /etc/firewalld/direct.xml ${shlexQuote(join(dir, "direct.xml"))}`,
      ].join("\n");
      writeFileSync(join(dir, "run.sh"), script);
      const r = spawnSync("unshare", ["--mount", "--propagation", "private", "sh", join(dir, "run.sh")], {
        encoding: "utf8",
      });
      expect(r.status, r.stderr).toBe(0);
      expect(firewalldDirectXml(desired)).toBe(readFileSync(join(dir, "direct.xml"), "utf8"));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // the machine's own config is untouched
    expect(
      execFileSync("sh", ["-c", "test ! -e /etc/firewalld/direct.xml && echo absent"], { encoding: "utf8" }),
    ).toBe("absent\n");
  });
});
