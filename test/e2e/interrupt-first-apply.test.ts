// Issue 11 part 5: a first apply interrupted anywhere leaves nothing half done.
// One lab (two co-located directors, port and starboard on up0, and a client,
// deck). A reference first apply counts its task results; then, for points
// spread over that whole run by progress (after the k-th task result the run
// printed, never after a fixed sleep), the hosts are reset to bare (lvsplay's
// files and rules removed — cheaper than a new lab), an apply is started and
// sent SIGINT, and every host is checked: exit 130, no temporary file of the
// atomic file install left, the mark chain whole (the rules a full apply
// writes) or absent and jumped to at most once, every keepalived.conf accepted
// by `keepalived -t -f`; the next apply converges (exit 0) and the one after
// changes nothing. The same once with SIGTERM (exit 143) and once with a second
// SIGINT (exit at once).
import { describe, expect, it } from "vitest";
import { ExitCode } from "../../src/cli/exit-codes.js";
import { timing, useE2eLab } from "./support/e2e-lab.js";
import { CHAIN, KEEPALIVED_CONF, liveChain } from "./support/host-state.js";
import { applyJson, changedTasks, describeProblems } from "./support/lvsplay-cli.js";
import { startLvsplay } from "./support/lvsplay-live.js";

const HOSTS = ["port", "starboard", "deck"] as const;
const DIRECTORS = ["port", "starboard"] as const;
const lab = useE2eLab("interrupt", {
  nodes: [
    { name: "port", groups: ["directors", "realservers"], iface: "up0" },
    { name: "starboard", groups: ["directors", "realservers"], iface: "up0" },
    { name: "deck", groups: ["clients"], iface: "up0" },
  ],
});

/** A task result line of the plain output: one progress point. */
const RESULT = /^(ok|changed|skipped|failed|unreachable): \[/;
const POINTS = 20;
const BARE = "/root/lvsplay-bare";
/** Where lvsplay writes on a host (files, boot scripts, rc links). */
const WRITTEN = ["/etc", "/usr/local", "/lib/systemd/system"];

// Saved once on bare hosts: /etc as it was, the iptables rules, sysctls of
// interfaces; a marker whose mtime tells which files lvsplay wrote since.
const SAVE = `mkdir -p ${BARE} && iptables-save > ${BARE}/iptables && tar -cf ${BARE}/etc.tar -C / etc &&
  sysctl -a 2>/dev/null | grep -E '^net\\.ipv4\\.conf\\.(all|lo|default)\\.arp_' > ${BARE}/sysctl; touch ${BARE}/marker`;
// Back to bare: keepalived stopped, every file written since the marker put
// back from the tar (or removed if it did not exist), rules and sysctls as
// saved, the VIP off lo.
const RESET = (vip: string) => `service keepalived stop >/dev/null 2>&1; pkill -x keepalived; true
  for d in ${WRITTEN.join(" ")}; do [ -d "$d" ] && find "$d" -newer ${BARE}/marker ! -type d; done | while read -r f; do
    rel=\${f#/}; if tar -tf ${BARE}/etc.tar "$rel" >/dev/null 2>&1; then tar -xpf ${BARE}/etc.tar -C / "$rel"; else rm -f "$f"; fi
  done
  iptables-restore < ${BARE}/iptables
  sed 's/ = /=/' ${BARE}/sysctl | xargs sysctl -q -w >/dev/null
  ip addr del ${vip}/32 dev lo 2>/dev/null; true
  touch ${BARE}/marker`;

/** Temporary files of the atomic install (apply-change.ts: .lvsplay.XXXXXX beside the target). */
const TEMPS = `find ${[...WRITTEN, "/run", "/root", "/tmp"].join(" ")} -xdev -name '.lvsplay.*' 2>/dev/null; true`;

async function sh(host: string, script: string): Promise<string> {
  return lab.read(host, ["sh", "-c", script]);
}

interface HostChecks {
  temps: string;
  chainRules: readonly string[];
  jumps: number;
  keepalivedConf: "absent" | "valid" | string;
}

async function checkHost(host: string): Promise<HostChecks> {
  const chain = await liveChain(lab, host);
  let keepalivedConf = "absent";
  if ((await lab.exec(host, ["test", "-e", KEEPALIVED_CONF])).code === 0) {
    const t = await lab.exec(host, ["keepalived", "-t", "-f", KEEPALIVED_CONF]);
    keepalivedConf =
      t.code === 0 ? "valid" : `rejected (exit ${t.code}): ${(t.stderr || t.stdout).slice(0, 500)}`;
  }
  return {
    temps: (await sh(host, TEMPS)).trim(),
    chainRules: chain.rules,
    jumps: chain.jumps,
    keepalivedConf,
  };
}

describe("a first apply interrupted at points spread over its whole run", () => {
  it(`leaves every host whole at ${POINTS} SIGINT points, one SIGTERM and one second SIGINT; each time the next apply converges and the one after changes nothing`, async () => {
    const fileStarted = Date.now();
    for (const h of HOSTS) await sh(h, SAVE);

    // Reference: the whole first apply, its number of task results, and the chain it writes.
    const reference = startLvsplay(["apply", lab.inventoryFile, "--plain"]);
    const ref = await reference.done;
    expect(ref.code, ref.stdout.slice(-3000)).toBe(ExitCode.ok);
    const total = reference.lines.filter((l) => RESULT.test(l)).length;
    timing(`interrupt: reference first apply (${total} task results)`, ref.durationMs);
    const fullChain: Record<string, readonly string[]> = {};
    for (const d of DIRECTORS) fullChain[d] = (await liveChain(lab, d)).rules;
    expect(fullChain["port"]?.length).toBeGreaterThan(0);

    // After the k-th task result: k = 0 (right after the lock) … total - 1.
    const sigint = Array.from({ length: POINTS }, (_, i) => Math.floor((i * total) / POINTS));
    const cases = [
      ...sigint.map((k) => ({ k, signals: ["SIGINT"] as NodeJS.Signals[], code: ExitCode.interrupted })),
      { k: Math.floor(total / 2), signals: ["SIGTERM"] as NodeJS.Signals[], code: ExitCode.terminated },
      {
        k: Math.floor(total / 3),
        signals: ["SIGINT", "SIGINT"] as NodeJS.Signals[],
        code: ExitCode.interrupted,
      },
    ];
    const seen: string[] = [];
    for (const c of cases) {
      const what = `${c.signals.join("+")} after task result ${c.k}/${total}`;
      for (const h of HOSTS) await sh(h, RESET(lab.facts.vip));
      const live = startLvsplay(["apply", lab.inventoryFile, "--plain"]);
      if (c.k === 0) await live.waitForLine(/^lock: held/);
      else {
        let from = 0;
        for (let i = 0; i < c.k; i++) from = (await live.waitForLine(RESULT, 120_000, from)).index + 1;
      }
      for (const s of c.signals) live.signal(s);
      const end = await live.done;
      expect(end.code, `${what}:\n${end.stdout.slice(-3000)}`).toBe(c.code);
      const results = live.lines.filter((l) => RESULT.test(l)).length;

      for (const h of HOSTS) {
        const state = await checkHost(h);
        expect(state.temps, `${what}: temporary files on ${h}`).toBe("");
        expect(state.jumps, `${what}: jumps to ${CHAIN} on ${h}`).toBeLessThanOrEqual(1);
        if (state.jumps === 1)
          expect(state.chainRules.length, `${what}: ${h} jumps to an empty chain`).toBeGreaterThan(0);
        const whole =
          state.chainRules.length === 0 ||
          JSON.stringify(state.chainRules) === JSON.stringify(fullChain[h] ?? []);
        expect(whole, `${what}: half-replaced chain on ${h}: ${state.chainRules.join(" | ")}`).toBe(true);
        expect(["absent", "valid"], `${what}: keepalived.conf on ${h}: ${state.keepalivedConf}`).toContain(
          state.keepalivedConf,
        );
      }
      // The operator's next step: apply again.
      const next = await applyJson(lab.inventoryFile);
      expect(describeProblems(next.json), what).not.toMatch(/: (failed|unreachable)/);
      expect(next.code, `${what}: converging apply\n${next.stderr.slice(-3000)}`).toBe(ExitCode.ok);
      const after = await applyJson(lab.inventoryFile);
      expect(changedTasks(after.json), `${what}: the apply after`).toEqual([]);
      expect(after.code).toBe(ExitCode.ok);
      seen.push(
        `${what}: exit ${end.code} after ${results} result(s) in ${(end.durationMs / 1000).toFixed(1)} s`,
      );
    }
    console.log(`[e2e] interrupt points:\n  ${seen.join("\n  ")}`);
    expect(new Set(seen.map((s) => s.split(":")[0])).size).toBe(cases.length);
    timing(
      `interrupt: ${cases.length} interrupted first applies, each converged and re-applied`,
      Date.now() - fileStarted,
    );
  }, 1_800_000);
});
