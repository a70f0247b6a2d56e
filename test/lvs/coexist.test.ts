// How lvsplay's keepalived file joins a host's own configuration: one include
// line, every other byte untouched, collisions refused before anything changes,
// the seed article's hand-made blocks adopted only on request.
import { describe, expect, it } from "vitest";
import type { ConfigFileState, KeepalivedConfigFact } from "../../src/facts/keepalived-config.js";
import {
  type CoexistInput,
  type OwnConfig,
  planCoexistence,
  stubMain,
} from "../../src/lvs/keepalived/coexist.js";
import { globMatches } from "../../src/lvs/keepalived/config-view.js";

const MAIN = "/etc/keepalived/keepalived.conf";
const OWN = "/etc/keepalived/lvsplay.conf";
const INCLUDE = `include ${OWN}`;

const own: OwnConfig = {
  instanceName: "VI_LVSPLAY",
  vrid: 51,
  iface: "eth1",
  vips: ["7.7.7.100"],
  services: [{ vip: "7.7.7.100", protocol: "tcp", ports: [80] }],
  marks: [1],
  scriptNames: [],
  usesScripts: false,
  syncsConnections: false,
};

function fact(
  files: Record<string, string | ConfigFileState["state"]>,
  globs: KeepalivedConfigFact["globs"] = [],
): KeepalivedConfigFact {
  return {
    main: MAIN,
    own: OWN,
    files: Object.entries(files).map(
      ([path, c]): ConfigFileState =>
        ["missing", "symlink", "notafile", "unreadable"].includes(c)
          ? { path, state: c as "missing" }
          : { path, state: "file", mode: "644", content: c },
    ),
    globs,
    truncated: false,
  };
}

const plan = (f: KeepalivedConfigFact, over: Partial<CoexistInput> = {}) =>
  planCoexistence({ fact: f, own, adopt: false, foreignMarkTargets: new Map(), ...over });

/** A host's own configuration: a mail VIP on the same LAN, with its own VRID and a virtual server. */
const FOREIGN = `! Mail relay VIP, managed by the mail team
global_defs {
   router_id mail-lb-1
}

vrrp_instance VI_MAIL {
    state MASTER
    interface eth1
    virtual_router_id 60
    priority 150
    virtual_ipaddress {
        7.7.7.200/32 dev eth1
    }
}

virtual_server 7.7.7.200 25 {
    lb_kind DR
    real_server 7.7.7.21 25 {
    }
}
`;

describe("a host with its own keepalived configuration", () => {
  it("gets exactly one include line appended; every other byte stays", () => {
    const p = plan(fact({ [MAIN]: FOREIGN, [OWN]: "missing" }));
    expect(p.errors).toEqual([]);
    expect(p.mainAfter).toBe(`${FOREIGN}\n${INCLUDE}\n`);
    expect(p.includedBefore).toBe(false);
    expect(p.mainDrift).toMatch(/does not include/);
    // The host sets router_id: lvsplay's file does not.
    expect(p.renderRouterId).toBe(false);
    expect(p.notes).toContain(`router_id mail-lb-1 comes from the host's configuration (${MAIN}:3)`);
  });

  it("once included, nothing changes (and lvsplay's file is validated together with the main file)", () => {
    const main = `${FOREIGN}\n${INCLUDE}\n`;
    const p = plan(
      fact({ [MAIN]: main, [OWN]: "# lvsplay\n" }, [{ from: MAIN, pattern: OWN, matches: [OWN] }]),
    );
    expect(p.errors).toEqual([]);
    expect(p.mainAfter).toBe(main);
    expect(p.mainDrift).toBeNull();
    expect(p.includedBefore).toBe(true);
  });

  it("keeps the first of several include lines, and the operator's place for it", () => {
    const main = `${INCLUDE}   # lvsplay\n${FOREIGN}${INCLUDE}\n`;
    const p = plan(fact({ [MAIN]: main, [OWN]: "x" }, [{ from: MAIN, pattern: OWN, matches: [OWN] }]));
    expect(p.mainAfter).toBe(`${INCLUDE}   # lvsplay\n${FOREIGN}`);
    expect(p.mainDrift).toBe(`${MAIN} includes ${OWN} 2 times`);
  });

  it("replaces a relative include of lvsplay's file by the canonical line", () => {
    const main = `${FOREIGN}include lvsplay.conf\n`;
    const p = plan(
      fact({ [MAIN]: main, [OWN]: "x" }, [{ from: MAIN, pattern: "lvsplay.conf", matches: [OWN] }]),
    );
    expect(p.errors).toEqual([]);
    expect(p.mainAfter).toBe(`${FOREIGN}\n${INCLUDE}\n`);
  });

  it("refuses a VRID the host already uses on the same interface, and accepts it on another one", () => {
    const same = plan(fact({ [MAIN]: FOREIGN.replace("virtual_router_id 60", "virtual_router_id 51") }));
    expect(same.errors).toEqual([
      `VRID 51 is already used on eth1 by vrrp_instance VI_MAIL (VRID 51 on eth1, holds 7.7.7.200) at ${MAIN}:6: choose another lvs.vrrp.virtual_router_id`,
    ]);
    const other = plan(
      fact({
        [MAIN]: FOREIGN.replace("virtual_router_id 60", "virtual_router_id 51").replace(
          "interface eth1",
          "interface eth0",
        ),
      }),
    );
    expect(other.errors).toEqual([]);
  });

  it("refuses a foreign virtual server on one of lvsplay's fwmarks, and lvsplay's instance name", () => {
    const p = plan(
      fact({
        [MAIN]: `${FOREIGN}virtual_server fwmark 1 {\n}\nvrrp_instance VI_LVSPLAY {\n virtual_router_id 9\n}\n`,
      }),
    );
    expect(p.errors).toEqual([
      expect.stringMatching(/^vrrp_instance VI_LVSPLAY .* has lvsplay's instance name VI_LVSPLAY$/),
      `fwmark 1 is already used by virtual_server fwmark 1 at ${MAIN}:21`,
    ]);
  });

  it("refuses an include glob that would read lvsplay's file a second time", () => {
    const p = plan(
      fact({ [MAIN]: `${FOREIGN}include /etc/keepalived/*.conf\n` }, [
        { from: MAIN, pattern: "/etc/keepalived/*.conf", matches: [] },
      ]),
    );
    expect(p.errors).toEqual([
      expect.stringMatching(/^include \/etc\/keepalived\/\*\.conf at .*:21 also matches lvsplay's file/),
    ]);
  });

  it("refuses what it cannot see: an include it could not follow, a symlinked main file", () => {
    expect(
      plan(
        fact({ [MAIN]: "include /x/{a,b}.conf\n" }, [
          { from: MAIN, pattern: "/x/{a,b}.conf", matches: null },
        ]),
      ).errors,
    ).toEqual([
      `${MAIN}:1: include /x/{a,b}.conf could not be followed: lvsplay cannot see all of the host's keepalived configuration`,
    ]);
    expect(plan(fact({ [MAIN]: "symlink" })).errors).toEqual([
      `${MAIN} (the main keepalived file) is a symlink: lvsplay replaces files, not links (point it at the real file)`,
    ]);
  });

  it("sees instances in included files too", () => {
    const p = plan(
      fact(
        {
          [MAIN]: "include conf.d/*.conf\n",
          "/etc/keepalived/conf.d/mail.conf": FOREIGN.replace("60", "51"),
        },
        [{ from: MAIN, pattern: "conf.d/*.conf", matches: ["/etc/keepalived/conf.d/mail.conf"] }],
      ),
    );
    expect(p.errors).toEqual([expect.stringContaining("at /etc/keepalived/conf.d/mail.conf:6")]);
  });
});

describe("failover hooks next to the host's own scripts", () => {
  const withHooks: OwnConfig = { ...own, scriptNames: ["lvsplay_web_up"], usesScripts: true };
  const scripted = FOREIGN.replace(
    "    priority 150\n",
    "    priority 150\n    notify /usr/local/sbin/mail-vrrp root\n",
  );

  it("adds enable_script_security only when the host's configuration has none and runs no scripts of its own", () => {
    const bare = plan(fact({ [MAIN]: FOREIGN.replace("   enable_script_security\n", "") }), {
      own: withHooks,
    });
    expect(bare.errors).toEqual([]);
    expect(bare.renderScriptSecurity).toBe(true);
    const secured = plan(
      fact({
        [MAIN]: `${FOREIGN.replace("router_id mail-lb-1", "router_id mail-lb-1\n   enable_script_security")}`,
      }),
      {
        own: withHooks,
      },
    );
    expect(secured.renderScriptSecurity).toBe(false);
  });

  it("refuses to turn script security on under the host's own scripts", () => {
    const p = plan(fact({ [MAIN]: scripted }), { own: withHooks });
    expect(p.errors).toEqual([
      expect.stringMatching(
        /^the host's configuration runs scripts \(notify at .*:11\) without enable_script_security; lvsplay's hooks need it/,
      ),
    ]);
    expect(plan(fact({ [MAIN]: scripted })).errors).toEqual([]);
  });

  it("refuses a vrrp_script of the host's with one of lvsplay's names", () => {
    const p = plan(fact({ [MAIN]: `${FOREIGN}vrrp_script lvsplay_web_up {\n}\n` }), { own: withHooks });
    expect(p.errors).toEqual([
      `vrrp_script lvsplay_web_up at ${MAIN}:21 has a name lvsplay uses`,
      // A vrrp_script is a script of the host's too, and it has no enable_script_security.
      expect.stringMatching(/^the host's configuration runs scripts \(vrrp_script at .*:21\)/),
    ]);
  });
});

describe("hosts lvsplay configured before", () => {
  it("a missing main file is created with the include line only", () => {
    const p = plan(fact({ [MAIN]: "missing", [OWN]: "missing" }));
    expect(p.mainAfter).toBe(stubMain(OWN));
    expect(p.mainAfter).toContain(`\n${INCLUDE}\n`);
    expect(p.renderRouterId).toBe(true);
  });

  it("an older lvsplay's single-file keepalived.conf moves to lvsplay's file; blocks added by hand stay", () => {
    const legacy = [
      "# Managed by lvsplay: local changes are overwritten on the next apply.",
      "# Director ds1.",
      "",
      "global_defs {",
      "    router_id ds1",
      "}",
      "",
      "vrrp_instance VI_LVSPLAY {",
      "    virtual_router_id 51",
      "    interface eth1",
      "}",
      "",
      "# service web: 7.7.7.100 tcp/80",
      "virtual_server fwmark 1 {",
      "    lb_kind DR",
      "}",
      "",
    ].join("\n");
    expect(plan(fact({ [MAIN]: legacy })).mainAfter).toBe(stubMain(OWN));
    const handAdded = `${legacy}\nvrrp_instance VI_MAIL {\n    virtual_router_id 60\n}\n`;
    const p = plan(fact({ [MAIN]: handAdded }));
    expect(p.errors).toEqual([]);
    expect(p.mainAfter).toBe(`vrrp_instance VI_MAIL {\n    virtual_router_id 60\n}\n\n${INCLUDE}\n`);
    expect(p.mainDrift).toMatch(/old single-file layout/);
    expect(p.renderRouterId).toBe(true);
  });

  it("keepalived's sample configuration is replaced, not kept running", () => {
    const sample = `! Configuration File for keepalived

global_defs {
   router_id LVS_DEVEL
}

vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    virtual_ipaddress {
        192.168.200.16
        192.168.200.17
    }
}
`;
    const p = plan(fact({ [MAIN]: sample }));
    expect(p.errors).toEqual([]);
    expect(p.mainAfter).toBe(stubMain(OWN));
    expect(p.notes.join("\n")).toMatch(/sample configuration/);
  });
});

/** The seed article's hand-made layout: VRRP for the VIP and a fwmark service marked by a PREROUTING rule. */
const SEED = `global_defs {
   router_id DS1
}

vrrp_instance VI_1 {
    state MASTER
    interface eth1
    virtual_router_id 51
    priority 150
    virtual_ipaddress {
        7.7.7.100
    }
}

# DS1 配置 keepalived
virtual_server fwmark 3 {
    delay_loop 6
    lb_algo rr
    lb_kind DR
    real_server 7.7.7.12 80 {
        TCP_CHECK {
        }
    }
}

vrrp_instance VI_MAIL {
    interface eth1
    virtual_router_id 60
    virtual_ipaddress {
        7.7.7.200
    }
}
`;

describe("adopting the seed's hand-made configuration", () => {
  const marks = new Map([[3, ["7.7.7.100"]]]);

  it("is refused with the blocks listed, unless the inventory opts in", () => {
    const p = plan(fact({ [MAIN]: SEED }), { foreignMarkTargets: marks });
    expect(p.errors).toHaveLength(1);
    expect(p.errors[0]).toContain(
      "the host already serves lvsplay's VIP 7.7.7.100 with a hand-made keepalived configuration",
    );
    expect(p.errors[0]).toContain(`vrrp_instance VI_1 (VRID 51 on eth1, holds 7.7.7.100) at ${MAIN}:5`);
    expect(p.errors[0]).toContain(`virtual_server fwmark 3 at ${MAIN}:16`);
    expect(p.errors[0]).toContain("set lvs.keepalived.adopt: true");
  });

  it("with adopt, replaces exactly those blocks: everything else, comments included, stays byte for byte", () => {
    const p = plan(fact({ [MAIN]: SEED }), { foreignMarkTargets: marks, adopt: true });
    expect(p.errors).toEqual([]);
    expect(p.mainAfter).toBe(`global_defs {
   router_id DS1
}

# DS1 配置 keepalived

vrrp_instance VI_MAIL {
    interface eth1
    virtual_router_id 60
    virtual_ipaddress {
        7.7.7.200
    }
}

${INCLUDE}
`);
    expect(p.adopted).toEqual([
      `vrrp_instance VI_1 (VRID 51 on eth1, holds 7.7.7.100) at ${MAIN}:5`,
      `virtual_server fwmark 3 at ${MAIN}:16`,
    ]);
    expect(p.notes.join("\n")).toMatch(/still set mark\(s\) 3 for the VIP/);
  });

  it("also adopts the naive VIP:port virtual server", () => {
    const naive = `vrrp_instance naive {\n interface eth1\n virtual_router_id 61\n virtual_ipaddress {\n  7.7.7.100/32 dev eth1\n }\n}\nvirtual_server 7.7.7.100 80 {\n protocol TCP\n}\n`;
    const p = plan(fact({ [MAIN]: naive }), { adopt: true });
    expect(p.errors).toEqual([]);
    expect(p.mainAfter).toBe(stubMain(OWN));
    expect(p.adopted).toHaveLength(2);
  });

  it("never takes an instance that holds other addresses too, or belongs to a sync group, or sits in an included file", () => {
    const mixed = SEED.replace("        7.7.7.100\n", "        7.7.7.100\n        7.7.7.150\n");
    expect(plan(fact({ [MAIN]: mixed }), { adopt: true, foreignMarkTargets: marks }).errors).toEqual([
      expect.stringMatching(/VI_1 .* cannot be replaced automatically: it also holds 7.7.7.150/),
    ]);
    const synced = `${SEED}vrrp_sync_group G {\n group {\n  VI_1\n  VI_MAIL\n }\n}\n`;
    expect(plan(fact({ [MAIN]: synced }), { adopt: true, foreignMarkTargets: marks }).errors).toEqual([
      expect.stringMatching(/VI_1 .* it is a member of vrrp_sync_group G/),
    ]);
    const included = plan(
      fact({ [MAIN]: "include lvs.conf\n", "/etc/keepalived/lvs.conf": SEED }, [
        { from: MAIN, pattern: "lvs.conf", matches: ["/etc/keepalived/lvs.conf"] },
      ]),
      { adopt: true, foreignMarkTargets: marks },
    );
    expect(included.errors).toHaveLength(2);
    expect(included.errors[0]).toMatch(/it is in an included file \(\/etc\/keepalived\/lvs.conf\)/);
  });

  it("a virtual server on the VIP but another port is kept, and said so (no protocol: keepalived takes UDP)", () => {
    const p = plan(fact({ [MAIN]: "virtual_server 7.7.7.100 8080 {\n}\n" }));
    expect(p.errors).toEqual([]);
    expect(p.notes[0]).toMatch(
      /virtual_server 7.7.7.100 8080 \(udp\) .* port the inventory does not declare: kept/,
    );
  });
});

describe("globMatches", () => {
  it.each([
    ["/etc/keepalived/*.conf", "/etc/keepalived/lvsplay.conf", true],
    ["/etc/keepalived/*/x.conf", "/etc/keepalived/lvsplay.conf", false],
    ["/etc/keepalived/lvs?lay.conf", "/etc/keepalived/lvsplay.conf", true],
    ["/etc/keepalived/[kl]*.conf", "/etc/keepalived/lvsplay.conf", true],
    ["/etc/keepalived/[!l]*.conf", "/etc/keepalived/lvsplay.conf", false],
    ["/etc/keepalived/{a,lvsplay}.conf", "/etc/keepalived/lvsplay.conf", true],
  ])("%s vs %s → %s", (pattern, path, want) => expect(globMatches(pattern, path)).toBe(want));
});

describe("connection_sync next to the host's own IPVS sync daemon", () => {
  const syncing: OwnConfig = { ...own, syncsConnections: true };
  const withDaemon = FOREIGN.replace(
    "router_id mail-lb-1\n",
    "router_id mail-lb-1\n   lvs_sync_daemon eth1 VI_MAIL id 60\n",
  );

  it("refuses a second sync daemon: keepalived runs one and ignores a later lvs_sync_daemon line", () => {
    const p = plan(fact({ [MAIN]: withDaemon }), { own: syncing });
    expect(p.errors).toEqual([
      `the host's configuration already runs an IPVS sync daemon (lvs_sync_daemon eth1 VI_MAIL id 60 at ${MAIN}:4); keepalived runs only one: remove that line or set lvs.connection_sync: false`,
    ]);
  });

  it("leaves the host's sync daemon alone when lvsplay does not sync", () => {
    expect(plan(fact({ [MAIN]: withDaemon })).errors).toEqual([]);
    expect(plan(fact({ [MAIN]: FOREIGN }), { own: syncing }).errors).toEqual([]);
  });
});
