// The tolerant keepalived syntax reader against the forms keepalived's own
// parser (lib/parser.c) accepts: comments, quotes, braces anywhere, includes.
import { describe, expect, it } from "vitest";
import { describeContent } from "../../src/lvs/keepalived/content.js";
import {
  decomment,
  parseKeepalivedSyntax,
  type Statement,
  splitWords,
} from "../../src/lvs/keepalived/syntax.js";

const parse = (files: Record<string, string>, globs: Record<string, string[] | null> = {}, opaque?: string) =>
  parseKeepalivedSyntax({
    main: Object.keys(files)[0]!,
    files: new Map(Object.entries(files)),
    resolve: (from, pattern) => globs[`${from} ${pattern}`],
    ...(opaque ? { opaque: (p: string) => p === opaque } : {}),
  });

const shape = (s: Statement): unknown => [
  s.keyword,
  ...s.args,
  ...(s.children ? [s.children.map(shape)] : []),
];

describe("decomment and words", () => {
  it("cuts at an unquoted # or !, keeps them in quotes and after a backslash", () => {
    expect(decomment('  notify "/x #1" # comment')).toBe('notify "/x #1"');
    expect(decomment("auth_pass a\\#b ! rest")).toBe("auth_pass a#b");
    expect(decomment("! whole line")).toBe("");
  });

  it("splits words, quoted strings and braces", () => {
    expect(splitWords("vrrp_instance VI_1{state MASTER}").map((w) => w.text)).toEqual([
      "vrrp_instance",
      "VI_1",
      "{",
      "state",
      "MASTER",
      "}",
    ]);
    expect(splitWords('notify_master "/usr/bin/x a b" root').map((w) => w.text)).toEqual([
      "notify_master",
      "/usr/bin/x a b",
      "root",
    ]);
  });
});

describe("statements", () => {
  it("reads blocks whether the brace is on the header's line, the next line, or everything is on one line", () => {
    const text = [
      "global_defs {",
      "   router_id A   # the router",
      "}",
      "vrrp_instance VI_1",
      "{",
      "    virtual_ipaddress { 10.0.0.1/24 dev eth0 }",
      "}",
      "virtual_server 10.0.0.1 80 { real_server 10.0.0.2 80 { weight 1 } }",
      "",
    ].join("\n");
    const parsed = parse({ "/k.conf": text });
    expect(parsed.problems).toEqual([]);
    expect(parsed.statements.map(shape)).toEqual([
      ["global_defs", [["router_id", "A"]]],
      ["vrrp_instance", "VI_1", [["virtual_ipaddress", [["10.0.0.1/24", "dev", "eth0"]]]]],
      ["virtual_server", "10.0.0.1", "80", [["real_server", "10.0.0.2", "80", [["weight", "1"]]]]],
    ]);
  });

  it("gives each top-level block the whole lines it occupies, and none when it shares a line", () => {
    const text = "global_defs {\n  router_id A\n}\nvrrp_script a { }  vrrp_script b {\n}\n";
    const [g, a, b] = parse({ "/k.conf": text }).statements;
    expect(text.slice(g!.span!.start, g!.span!.end)).toBe("global_defs {\n  router_id A\n}\n");
    expect(g!.line).toBe(1);
    expect(a!.span).toBeNull();
    expect(b!.span).toBeNull();
    expect(b!.line).toBe(4);
  });

  it("reports unbalanced braces instead of failing", () => {
    expect(parse({ "/k.conf": "}\nvrrp_instance X {\n" }).problems.map((p) => p.message)).toEqual([
      "extra '}'",
      "'{' is never closed",
    ]);
  });

  // biome-ignore lint/suspicious/noTemplateCurlyInString: keepalived's ${NAME} syntax
  it("substitutes $NAME and ${NAME} definitions, and marks @id lines as conditional", () => {
    const text =
      "$VRID=61\n$IF=eth2\nvrrp_instance X {\n virtual_router_id $VRID\n interface \u0024{IF}\n}\n@ds1 vrrp_instance Y {\n}\n";
    const content = describeContent(parse({ "/k.conf": text }).statements);
    expect(content.instances.map((i) => [i.name, i.vrid, i.iface, i.statement.conditional])).toEqual([
      ["X", 61, "eth2", false],
      ["Y", null, null, true],
    ]);
  });

  it("reports what it does not follow", () => {
    const problems = parse({ "/k.conf": "~SEQ(i,1,3) vrrp_instance VI_$i {\n}\n$LONG=a \\\n" }).problems;
    expect(problems.map((p) => `${p.line}: ${p.message}`)).toEqual([
      "1: ~SEQ is not followed by lvsplay",
      "3: multi-line definition $LONG is not followed by lvsplay",
    ]);
  });
});

describe("includes", () => {
  it("splices included files where they are included, also inside a block, and records every include line", () => {
    const parsed = parse(
      {
        "/etc/k/keepalived.conf":
          "include conf.d/*.conf\nvirtual_server 10.0.0.1 80 {\n  include rs.inc # servers\n}\n",
        "/etc/k/conf.d/a.conf": "vrrp_instance A {\n}\n",
        "/etc/k/rs.inc": "real_server 10.0.0.2 80 {\n}\n",
      },
      {
        "/etc/k/keepalived.conf conf.d/*.conf": ["/etc/k/conf.d/a.conf"],
        "/etc/k/keepalived.conf rs.inc": ["/etc/k/rs.inc"],
      },
    );
    expect(parsed.statements.map(shape)).toEqual([
      ["vrrp_instance", "A", []],
      ["virtual_server", "10.0.0.1", "80", [["real_server", "10.0.0.2", "80", []]]],
    ]);
    expect(parsed.statements[0]!.file).toBe("/etc/k/conf.d/a.conf");
    expect(parsed.includes.map((i) => [i.file, i.line, i.pattern, i.nested])).toEqual([
      ["/etc/k/keepalived.conf", 1, "conf.d/*.conf", false],
      ["/etc/k/keepalived.conf", 3, "rs.inc", true],
    ]);
    expect(parsed.problems).toEqual([]);
  });

  it("does not read an opaque file (lvsplay's own) as part of the host's configuration", () => {
    const parsed = parse(
      { "/k.conf": "include /lvsplay.conf\n", "/lvsplay.conf": "vrrp_instance VI_LVSPLAY {\n}\n" },
      { "/k.conf /lvsplay.conf": ["/lvsplay.conf"] },
      "/lvsplay.conf",
    );
    expect(parsed.statements).toEqual([]);
    expect(parsed.includes[0]!.matches).toEqual(["/lvsplay.conf"]);
  });

  it("reports patterns that could not be followed, unreadable files and loops", () => {
    const parsed = parse(
      {
        "/k.conf": "include /a.conf\ninclude /{x,y}.conf\ninclude /gone.conf\n",
        "/a.conf": "include /a.conf\n",
      },
      {
        "/k.conf /a.conf": ["/a.conf"],
        "/a.conf /a.conf": ["/a.conf"],
        "/k.conf /gone.conf": ["/gone.conf"],
      },
    );
    expect(parsed.problems.map((p) => `${p.file}:${p.line}: ${p.message}`)).toEqual([
      "/a.conf:1: include /a.conf includes /a.conf again (a loop)",
      "/k.conf:2: include /{x,y}.conf could not be followed",
      "/k.conf:3: included file /gone.conf could not be read",
    ]);
  });
});
