// Property test (issue 14): keepalived.conf rendered from generated valid
// configurations — random router ids, service names, passwords, interfaces,
// URL paths drawn from the allowed character sets (src/config/charsets.ts) —
// is accepted by the real `keepalived -t` (in a throwaway namespace holding the
// generated interfaces), and parses back (lvsplay's keepalived parser) to the
// same model. The seed is printed; LVSPLAY_PROPERTY_SEED=N replays a run.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Charset,
  charsetViolation,
  HTTP_PATH,
  INTERFACE,
  NAME,
  VRRP_PASSWORD,
} from "../../src/config/charsets.js";
import { Secret } from "../../src/config/secret.js";
import type { HealthCheck } from "../../src/inventory/model.js";
import type { KeepalivedConfig } from "../../src/lvs/keepalived/model.js";
import { renderKeepalivedConf } from "../../src/lvs/keepalived/render.js";
import {
  childrenNamed,
  childValue,
  parseKeepalivedSyntax,
  type Statement,
} from "../../src/lvs/keepalived/syntax.js";
import { Netns } from "../lvs/helpers/netns.js";

const CONFIGS = 40;
const seed = Number(process.env["LVSPLAY_PROPERTY_SEED"] ?? Date.now() % 1_000_000);

/** mulberry32: small, seedable. */
const rng = (() => {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
})();
const int = (lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));
const pick = <T>(xs: readonly T[]): T => xs[int(0, xs.length - 1)] as T;

/** Every printable ASCII character the charset allows (first / rest). */
const alphabet = (test: (ch: string) => boolean): string[] =>
  Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).filter(test);

/** A random value of `charset`, max `max` characters, checked against the charset itself. */
const randomOf = (charset: Charset, max: number, prefix = ""): string => {
  const rest = alphabet(charset.char);
  const first = alphabet((ch) => charset.char(ch) && (charset.first?.(ch) ?? true));
  const length = int(Math.max(1, charset.minLength), Math.min(max, charset.maxLength)) - prefix.length;
  const v =
    prefix +
    (prefix ? pick(rest) : pick(first)) +
    Array.from({ length: Math.max(0, length - 1) }, () => pick(rest)).join("");
  expect(charsetViolation(charset, v), `generated ${JSON.stringify(v)}`).toBe("");
  return v;
};
const ip = () => `10.${int(0, 255)}.${int(0, 255)}.${int(1, 254)}`;

function generate(used: Set<string>): KeepalivedConfig {
  let iface = randomOf(INTERFACE, 15);
  // Unique among the namespace's interfaces ("lo" is taken).
  while (used.has(iface) || iface === "lo") iface = randomOf(INTERFACE, 15);
  used.add(iface);
  const check = (): HealthCheck =>
    rng() < 0.5
      ? { kind: "tcp", connectTimeoutSec: int(1, 30), delayLoopSec: int(1, 60), retry: int(1, 5) }
      : {
          kind: "http",
          path: randomOf(HTTP_PATH, 60),
          statusCode: pick([200, 204, 301, 404]),
          connectTimeoutSec: int(1, 30),
          delayLoopSec: int(1, 60),
          retry: int(1, 5),
        };
  const marks = new Set<number>();
  // As buildKeepalivedConfig does: with nopreempt every director starts BACKUP
  // (keepalived -t rejects nopreempt on a MASTER-state instance).
  const nopreempt = rng() < 0.5;
  return {
    routerId: randomOf(NAME, 64),
    vrrpOnly: false,
    vrrp: {
      name: "VI_LVSPLAY",
      state: nopreempt ? "BACKUP" : pick(["MASTER", "BACKUP"] as const),
      interface: iface,
      virtualRouterId: int(1, 255),
      priority: int(1, 254),
      advertIntSec: int(1, 255),
      ...(rng() < 0.8
        ? { auth: { type: "PASS" as const, password: new Secret(randomOf(VRRP_PASSWORD, 8), "test") } }
        : {}),
      ...(rng() < 0.3 ? { unicast: { srcIp: ip(), peers: Array.from({ length: int(1, 3) }, ip) } } : {}),
      nopreempt,
      virtualIps: Array.from({ length: int(1, 3) }, () => ({ address: ip(), dev: iface })),
    },
    virtualServers: Array.from({ length: int(1, 3) }, () => {
      let fwmark = int(1, 100_000);
      while (marks.has(fwmark)) fwmark = int(1, 100_000);
      marks.add(fwmark);
      const realServers = [...new Set(Array.from({ length: int(1, 3) }, ip))].map((address) => ({
        name: randomOf(NAME, 64),
        address,
        weight: int(1, 100),
        check: check(),
        checkPort: int(1, 65535),
        checkOverUdp: false,
      }));
      return {
        service: randomOf(NAME, 64),
        summary: "generated",
        fwmark,
        delayLoopSec: int(1, 60),
        scheduler: pick(["rr", "wrr", "lc", "wlc", "sh", "dh"]),
        ...(rng() < 0.3 ? { persistenceTimeoutSec: int(1, 3600) } : {}),
        realServers,
      };
    }),
  };
}

/** What the file must say: the model without what is only a comment (names, summaries). */
function expected(cfg: KeepalivedConfig) {
  const v = cfg.vrrp;
  return {
    routerId: cfg.routerId,
    vrrp: {
      state: v.state,
      interface: v.interface,
      virtualRouterId: v.virtualRouterId,
      priority: v.priority,
      advertIntSec: v.advertIntSec,
      nopreempt: v.nopreempt,
      auth: v.auth ? { type: v.auth.type, password: v.auth.password.reveal() } : undefined,
      unicast: v.unicast ? { srcIp: v.unicast.srcIp, peers: [...v.unicast.peers] } : undefined,
      virtualIps: v.virtualIps.map((x) => `${x.address}/32 dev ${x.dev}`),
    },
    virtualServers: cfg.virtualServers.map((vs) => ({
      fwmark: vs.fwmark,
      delayLoopSec: vs.delayLoopSec,
      scheduler: vs.scheduler,
      persistenceTimeoutSec: vs.persistenceTimeoutSec,
      realServers: vs.realServers.map((rs) => ({
        address: rs.address,
        weight: rs.weight,
        check:
          rs.check.kind === "http"
            ? { kind: "HTTP_GET", path: rs.check.path, status: rs.check.statusCode }
            : { kind: "TCP_CHECK", path: undefined, status: undefined },
        port: rs.checkPort,
        connectTimeoutSec: rs.check.connectTimeoutSec,
        retry: rs.check.retry,
      })),
    })),
  };
}

/** The same shape, read back from the parsed file. */
function parsedBack(stmts: readonly Statement[]) {
  const num = (s: string | undefined) => (s === undefined ? undefined : Number(s));
  const top = (k: string) => stmts.filter((s) => s.keyword === k);
  const inst = top("vrrp_instance")[0];
  if (!inst) throw new Error("no vrrp_instance");
  const auth = childrenNamed(inst, "authentication")[0];
  const unicastPeers = childrenNamed(inst, "unicast_peer")[0];
  const words = (s: Statement) => [s.keyword, ...s.args].join(" ");
  return {
    routerId: childValue(top("global_defs")[0] ?? inst, "router_id"),
    vrrp: {
      state: childValue(inst, "state"),
      interface: childValue(inst, "interface"),
      virtualRouterId: num(childValue(inst, "virtual_router_id")),
      priority: num(childValue(inst, "priority")),
      advertIntSec: num(childValue(inst, "advert_int")),
      nopreempt: childrenNamed(inst, "nopreempt").length > 0,
      auth: auth
        ? { type: childValue(auth, "auth_type"), password: childValue(auth, "auth_pass") }
        : undefined,
      unicast: unicastPeers
        ? { srcIp: childValue(inst, "unicast_src_ip"), peers: (unicastPeers.children ?? []).map(words) }
        : undefined,
      virtualIps: (childrenNamed(inst, "virtual_ipaddress")[0]?.children ?? []).map(words),
    },
    virtualServers: top("virtual_server").map((vs) => ({
      fwmark: vs.args[0] === "fwmark" ? num(vs.args[1]) : undefined,
      delayLoopSec: num(childValue(vs, "delay_loop")),
      scheduler: childValue(vs, "lb_algo"),
      persistenceTimeoutSec: num(childValue(vs, "persistence_timeout")),
      realServers: childrenNamed(vs, "real_server").map((rs) => {
        const check = (rs.children ?? []).find((c) => c.keyword === "TCP_CHECK" || c.keyword === "HTTP_GET");
        if (!check) throw new Error("no check block");
        const url = childrenNamed(check, "url")[0];
        return {
          address: rs.args[0],
          weight: num(childValue(rs, "weight")),
          check: {
            kind: check.keyword,
            path: url ? childValue(url, "path") : undefined,
            status: url ? num(childValue(url, "status_code")) : undefined,
          },
          port: num(childValue(check, "connect_port")),
          connectTimeoutSec: num(childValue(check, "connect_timeout")),
          retry: num(childValue(check, "retry")),
        };
      }),
    })),
  };
}

describe(`keepalived.conf from generated valid configurations (seed ${seed})`, () => {
  let ns: Netns;
  let dir: string;
  const configs: KeepalivedConfig[] = [];

  beforeAll(() => {
    if (spawnSync("keepalived", ["--version"]).error)
      throw new Error("keepalived is not installed: this test needs it");
    console.log(`keepalived property test: seed ${seed} (LVSPLAY_PROPERTY_SEED=${seed} replays it)`);
    const used = new Set<string>();
    for (let i = 0; i < CONFIGS; i++) configs.push(generate(used));
    dir = mkdtempSync(join(tmpdir(), "lvsplay-kprop-"));
    ns = new Netns("lvskp");
    // keepalived -t checks that interfaces exist: one veth per generated name (no dummy module here);
    // the peers' names cannot be generated ones (those never start with "_").
    for (const [i, name] of [...used].entries())
      ns.ok(["ip", "link", "add", "name", name, "type", "veth", "peer", "name", `_p${i}`]);
  });
  afterAll(() => {
    ns?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(`keepalived -t accepts all ${CONFIGS} and each parses back to its model`, () => {
    for (const [i, cfg] of configs.entries()) {
      const text = renderKeepalivedConf(cfg);
      const file = join(dir, `k${i}.conf`);
      writeFileSync(file, text);
      const pid = (n: string) => join(dir, `${i}.${n}.pid`);
      const r = ns.run(["keepalived", "-t", "-f", file, "-p", pid("k"), "-r", pid("v"), "-c", pid("c")]);
      expect({ status: r.status, stderr: r.stderr }, `keepalived -t on config ${i}:\n${text}`).toMatchObject({
        status: 0,
      });
      expect(r.stderr, `config ${i}`).not.toMatch(/Unknown keyword|Extra '}'|Missing '}'/);
      const parsed = parseKeepalivedSyntax({ main: file, files: new Map([[file, text]]), resolve: () => [] });
      expect(parsed.problems, `config ${i}`).toEqual([]);
      expect(parsedBack(parsed.statements), `config ${i}:\n${text}`).toEqual(expected(cfg));
    }
  });
});
