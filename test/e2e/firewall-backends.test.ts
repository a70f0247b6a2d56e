// Issue 15 on one lab: a firewalld director (ipset lvs_mark_list + rich rules)
// and a native nftables director (table inet lvsplay, /etc/nftables.conf with
// the stock `flush ruleset`, loaded by the lab's nftables.service emulation).
// In order: converge; a host in the old firewalld direct-rule layout migrated
// while a client sends requests throughout (no request unserved, no client SYN
// that passed the firewall unmarked); re-apply changes nothing; a NIC swap is
// a set-membership change only (rules byte-identical), and check mode before
// it changes no byte; reboots bring the rules back; audit drift kinds.
// Every state assertion reads the hosts directly (nsenter).
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import type { AuditReport, DriftItem } from "../../src/audit/report.js";
import { ExitCode } from "../../src/cli/exit-codes.js";
import { labRestart } from "../../src/lab/index.js";
import { expectMarkRule, expectPersistedEqualsRuntime } from "./support/converged.js";
import { timing, useE2eLab } from "./support/e2e-lab.js";
import {
  firewalldDirectRules,
  linkMac,
  liveChain,
  nftChain,
  nftPeerSet,
  PEER_SET,
  peerSetEntries,
  richRules,
  vipHolders,
  waitFor,
  waitForMaster,
} from "./support/host-state.js";
import { applyJson, changedTasks, describeProblems, runLvsplay } from "./support/lvsplay-cli.js";
import { labSnapshot } from "./support/snapshot.js";

const lab = useE2eLab("fwback", {
  nodes: [
    { name: "fw1", groups: ["directors", "realservers"], firewall: "firewalld" },
    { name: "nft2", groups: ["directors", "realservers"], firewall: "nftables" },
    { name: "client", groups: ["clients"] },
  ],
});
const FW = "fw1";
const NFT = "nft2";
/** Each test runs several applies and reboots on a shared 2-core machine (an apply took up to 60 s under load). */
const SLOW = 900_000;
const noHandles = (rules: readonly string[]) => rules.map((r) => r.replace(/ # handle \d+$/, ""));

async function apply(what: string) {
  const run = await applyJson(lab.inventoryFile);
  timing(`${what}: apply`, run.durationMs);
  expect(describeProblems(run.json), `${what}: tasks not ok`).not.toMatch(/: (failed|unreachable)/);
  expect(run.code, run.stderr.slice(-2000)).toBe(ExitCode.ok);
  return run;
}

async function expectNoOp(what: string) {
  const run = await apply(what);
  expect(changedTasks(run.json), `${what}: nothing changes`).toEqual([]);
}

async function audit(): Promise<{ code: number | null; items: DriftItem[] }> {
  const run = await runLvsplay(["audit", lab.inventoryFile, "--json"]);
  const report = JSON.parse(run.stdout) as AuditReport;
  return { code: run.code, items: Object.values(report.hosts).flatMap((h) => h.drift) };
}

/** Flush ARP caches after a MAC change (machine side and every node), as a real NIC swap would. */
async function forgetNeighbours(): Promise<void> {
  execFileSync("ip", ["neigh", "flush", "dev", lab.bridge]);
  for (const node of Object.keys(lab.facts.interfaces))
    await lab.read(node, ["ip", "neigh", "flush", "dev", lab.facts.interfaces[node] ?? "eth1"]);
}

describe("1. converge", () => {
  it(
    "firewalld director: ipset + rich rule; nftables director: table inet lvsplay; both persisted",
    async () => {
      await apply("first apply");
      await waitForMaster(lab, FW);
      for (const d of [FW, NFT]) {
        await expectMarkRule(lab, d);
        await expectPersistedEqualsRuntime(lab, d);
      }
      await expectNoOp("second apply");
    },
    SLOW,
  );
});

describe("2. migration from the firewalld direct-rule layout", () => {
  it(
    "old direct rules replaced by the ipset and rich rule in one apply; every request served, none unmarked",
    async () => {
      const { vip, port } = lab.facts;
      const peerMac = await linkMac(lab, NFT, lab.facts.interfaces[NFT] ?? "eth1");
      const [rule] = await richRules(lab, FW, true);
      const mark = /mark set=(0x[0-9a-f]+)/.exec(rule ?? "")?.[1];
      expect(mark).toBeDefined();
      // The layout lvsplay wrote before: chain, jump, one rule per service (permanent), then a reload.
      const direct = ["--permanent", "--direct"];
      for (const argv of [
        ["--permanent", "--zone=public", `--remove-rich-rule=${rule}`],
        ["--permanent", `--delete-ipset=${PEER_SET}`],
        [...direct, "--add-chain", "ipv4", "mangle", "LVSPLAY-MARK"],
        [...direct, "--add-rule", "ipv4", "mangle", "PREROUTING", "0", "-j", "LVSPLAY-MARK"],
        [
          ...direct,
          ...[
            "--add-rule",
            "ipv4",
            "mangle",
            "LVSPLAY-MARK",
            "0",
            "-d",
            `${vip}/32`,
            "-p",
            "tcp",
            "-m",
            "tcp",
          ],
          ...["--dport", String(port), "-m", "mac", "!", "--mac-source", peerMac, "-m", "comment"],
          ...["--comment", "lvsplay:web", "-j", "MARK", "--set-xmark", `${mark}/0xffffffff`],
        ],
        ["--reload"],
      ])
        await lab.read(FW, ["firewall-cmd", ...argv]);
      expect((await liveChain(lab, FW)).rules).toHaveLength(1);
      expect(await peerSetEntries(lab, FW, false)).toBeNull();

      // Client SYNs to the VIP that passed firewalld's input filter, marked or not,
      // counted after it (priority 50) and before IPVS (LOCAL_IN at 98).
      const counters = `table inet lvsplaytest {
  chain input {
    type filter hook input priority 50; policy accept;
    ip daddr ${vip} tcp dport ${port} tcp flags syn meta mark 0 counter comment "unmarked"
    ip daddr ${vip} tcp dport ${port} tcp flags syn meta mark != 0 counter comment "marked"
  }
}
`;
      await lab.read(FW, ["sh", "-c", 'printf "%s" "$1" | nft -f -', "sh", counters]);
      await waitForMaster(lab, FW);
      // Requests throughout: the client loops until told to stop.
      const loop = lab.exec(
        "client",
        [
          "sh",
          "-c",
          'rm -f /tmp/stop; while [ ! -e /tmp/stop ]; do curl -s -o /dev/null -m 10 -w "%{http_code} %{time_total}\\n" "http://$1:$2/"; done',
          "sh",
          vip,
          String(port),
        ],
        600_000,
      );
      await waitFor("the client's first requests", async () => {
        const out = await lab.exec(FW, ["nft", "list", "table", "inet", "lvsplaytest"]);
        return (
          /"marked"/.test(out.stdout) &&
          /counter packets [1-9]\d* bytes \d+ comment "marked"/.test(out.stdout)
        );
      });
      const run = await apply("migration");
      expect(changedTasks(run.json)).toContain(`${FW} lvs.marks`);
      await new Promise((r) => setTimeout(r, 1500)); // requests after the reload, too
      await lab.read("client", ["touch", "/tmp/stop"]);
      const results = (await loop).stdout.trim().split("\n");
      const out = await lab.read(FW, ["nft", "list", "table", "inet", "lvsplaytest"]);
      const count = (what: string) =>
        Number(new RegExp(`counter packets (\\d+) bytes \\d+ comment "${what}"`).exec(out)?.[1]);
      const latencies = results.map((l) => Number(l.split(" ")[1]));
      console.log(
        `[e2e numbers] migration: ${results.length} requests, ${results.filter((l) => !l.startsWith("200 ")).length} failed, ` +
          `max latency ${Math.max(...latencies).toFixed(3)} s, SYNs marked ${count("marked")}, unmarked ${count("unmarked")}`,
      );
      expect(
        results.filter((l) => !l.startsWith("200 ")),
        "every request answered",
      ).toEqual([]);
      expect(count("unmarked"), "no client SYN reached IPVS's hook unmarked").toBe(0);
      expect(count("marked")).toBeGreaterThan(0);
      await lab.read(FW, ["nft", "delete", "table", "inet", "lvsplaytest"]);
      // The old layout is gone, runtime and permanent; the new one is in place.
      expect(await firewalldDirectRules(lab, FW, true)).toEqual([]);
      await expectMarkRule(lab, FW);
      await expectPersistedEqualsRuntime(lab, FW);
      await expectNoOp("after the migration");
    },
    SLOW,
  );
});

describe("3. NIC swap: set membership only", () => {
  it(
    "check mode changes no byte; apply changes the peer sets only, rules byte-identical",
    async () => {
      for (const [swapped, watcher] of [
        [FW, NFT],
        [NFT, FW],
      ] as const) {
        const iface = lab.facts.interfaces[swapped] ?? "eth1";
        const fresh = swapped === FW ? "02:99:00:00:00:a1" : "02:99:00:00:00:a2";
        const rulesBefore = watcher === NFT ? await nftChain(lab, NFT) : await richRules(lab, FW, false);
        await lab.read(swapped, ["ip", "link", "set", iface, "address", fresh]);
        await forgetNeighbours();

        const before = await labSnapshot(lab);
        const check = await runLvsplay(["apply", lab.inventoryFile, "--check"]);
        const drift = await audit();
        expect(await labSnapshot(lab), "check mode and audit change nothing").toEqual(before);
        expect(check.code).toBe(ExitCode.drift);
        expect(drift.items.map((i) => [i.host, i.kind, i.severity])).toEqual([
          [watcher, "mark-rule-stale-mac", "critical"],
        ]);

        const run = await apply(`NIC swap on ${swapped}`);
        const changes = run.json.results.filter((r) => r.status === "changed" && !r.handler);
        console.log(
          `[e2e numbers] NIC swap on ${swapped}: ${changes.map((r) => `${r.host} ${r.op}: ${r.changes.length} change(s)`).join("; ")}`,
        );
        expect(changes.map((r) => r.host).every((h) => h === watcher)).toBe(true);
        if (watcher === NFT) {
          expect(await nftChain(lab, NFT), "nftables rules untouched (text and handles)").toEqual(
            rulesBefore,
          );
          expect(await nftPeerSet(lab, NFT)).toEqual([fresh]);
        } else {
          expect(await richRules(lab, FW, false), "rich rules untouched").toEqual(rulesBefore);
          expect(await peerSetEntries(lab, FW, false)).toEqual([fresh]);
        }
        await expectPersistedEqualsRuntime(lab, watcher);
        await expectNoOp(`after the NIC swap on ${swapped}`);
      }
    },
    SLOW,
  );
});

describe("4. reboots", () => {
  it(
    "nftables director: nftables.conf flushes, then its include restores the table",
    async () => {
      const rules = noHandles(await nftChain(lab, NFT));
      const members = await nftPeerSet(lab, NFT);
      timing("restart nftables director", (await labRestart(NFT, { stateDir: lab.stateDir })).durationMs);
      expect(noHandles(await nftChain(lab, NFT))).toEqual(rules);
      expect(await nftPeerSet(lab, NFT)).toEqual(members);
      await expectMarkRule(lab, NFT);
    },
    SLOW,
  );

  it(
    "firewalld director: ipset and rich rule come back from the permanent configuration",
    async () => {
      const rules = await richRules(lab, FW, true);
      const entries = await peerSetEntries(lab, FW, true);
      timing("restart firewalld director", (await labRestart(FW, { stateDir: lab.stateDir })).durationMs);
      await waitFor(
        "firewalld's rich rules",
        async () => (await richRules(lab, FW, false)).length > 0,
        20_000,
      );
      expect(await richRules(lab, FW, false)).toEqual(rules);
      expect(await peerSetEntries(lab, FW, false)).toEqual(entries);
      await waitFor("one director to hold the VIP", async () => (await vipHolders(lab)).length === 1, 20_000);
      // A lab restart recreates a node's NIC with the topology's MAC: the NIC swaps of test 3 are undone, so
      // the first apply updates the peer sets (a real MAC change), and the one after changes nothing.
      await apply("after both reboots (NICs back to the lab's MACs)");
      await expectNoOp("after both reboots");
    },
    SLOW,
  );
});

describe("5. audit drift kinds", () => {
  it(
    "a deleted table / a flushed ipset are critical mark-rule-missing / stale drift; apply repairs",
    async () => {
      await lab.read(NFT, ["nft", "delete", "table", "inet", "lvsplay"]);
      let drift = await audit();
      expect(drift.items.map((i) => [i.host, i.kind, i.severity])).toEqual([
        [NFT, "mark-rule-missing", "critical"],
      ]);
      expect(drift.code).toBe(ExitCode.drift);
      const [entry] = (await peerSetEntries(lab, FW, false)) ?? [];
      await lab.read(FW, ["firewall-cmd", `--ipset=${PEER_SET}`, `--remove-entry=${entry}`]);
      await lab.read(FW, ["firewall-cmd", `--ipset=${PEER_SET}`, "--add-entry=02:00:00:00:00:77"]);
      drift = await audit();
      expect(drift.items.map((i) => [i.host, i.kind, i.severity]).sort()).toEqual(
        [
          [FW, "mark-rule-stale-mac", "critical"],
          [NFT, "mark-rule-missing", "critical"],
        ].sort(),
      );
      await apply("repair");
      for (const d of [FW, NFT]) await expectMarkRule(lab, d);
      drift = await audit();
      expect(drift.items).toEqual([]);
      expect(drift.code).toBe(ExitCode.ok);
    },
    SLOW,
  );
});
