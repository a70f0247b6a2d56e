// The hostile-input cases: inventories, playbooks, CLI flags and local files a
// hostile or careless user could hand lvsplay. Each says the exit code, the
// message (with file:line where a file is involved) and, by default, that no
// host is contacted. Placeholders ({dir}, {addr1}, {port1}, {vip}, …) are
// filled by support/run-cases.mjs.

export type FileSpec =
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "fifo" }
  | { readonly kind: "dir" }
  | { readonly kind: "bytes"; readonly size: number; readonly fill: number };

export interface HostileCase {
  readonly name: string;
  readonly args: readonly string[];
  readonly files?: Readonly<Record<string, FileSpec>>;
  readonly env?: Readonly<Record<string, string>>;
  readonly code: number;
  /** Must appear in stderr (a RegExp, or lines that must all be there). */
  readonly stderr: RegExp;
  /** Must appear in stdout (run results, e.g. an unreachable host, go there). */
  readonly stdout?: RegExp;
  /** file and 1-based line the message must point at (file:line:col). */
  readonly at?: { readonly file: string; readonly line: number };
  /** Problems reported (the "N problem(s)" line), when a file is involved. */
  readonly problems?: number;
  /** Connections the listeners must see: 0 unless said (the controls). */
  readonly contacts?: "none" | "some";
}

export const BASE_INVENTORY = `defaults:
  user: root
  identity: {work}/key
  known_hosts: {work}/kh
  agent: false
  connect_timeout: 5
hosts:
  ds1:
    address: {addr1}
    port: {port1}
    groups: [directors, realservers]
    interface: eth0
  ds2:
    address: {addr2}
    port: {port2}
    groups: [directors, realservers]
    interface: eth0
  rs3:
    address: {addr3}
    port: {port3}
    groups: [realservers]
lvs:
  vrrp:
    virtual_router_id: 51
    order: [ds1, ds2]
    auth: { type: PASS, password: "s3cret" }
  services:
    - name: web
      vip: {vip}
      protocol: tcp
      ports: [80]
      scheduler: rr
      health_check: { kind: tcp, connect_timeout: 3 }
`;

export const BASE_PLAYBOOK = `name: hostile
stages:
  - name: one
    hosts: all
    tasks:
      - name: run
        op: command
        args:
          argv: [touch, /tmp/lvsplay-hostile-ran]
          creates: /tmp/lvsplay-hostile-ran
`;

const text = (t: string): FileSpec => ({ kind: "text", text: t });
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** 1-based line of the first occurrence of `needle`. */
const lineOf = (haystack: string, needle: string): number => {
  const at = haystack.indexOf(needle);
  if (at < 0) throw new Error(`case setup: ${JSON.stringify(needle)} not in the text`);
  return haystack.slice(0, at).split("\n").length;
};

const replaceOnce = (base: string, from: string, to: string): string => {
  if (!base.includes(from)) throw new Error(`case setup: ${JSON.stringify(from)} not in the base`);
  return base.replace(from, () => to);
};

// Inventory cases cycle through the commands that take an inventory: a real
// apply (no --check) included, so "nothing contacted" is shown where it matters.
const INVENTORY_COMMANDS: readonly (readonly string[])[] = [
  ["apply", "{dir}/inv.yaml", "--plain"],
  ["audit", "{dir}/inv.yaml", "--plain"],
  ["apply", "{dir}/inv.yaml", "--check", "--plain"],
  ["facts", "{dir}/inv.yaml"],
  ["validate", "{dir}/inv.yaml"],
];
let inventoryIndex = 0;

/**
 * An inventory made from the base by replacing `from` with `to`; the problem
 * must be reported at the line where `to` (or `mark`) is, naming `key`.
 */
const inv = (
  name: string,
  from: string,
  to: string,
  key: string,
  says: RegExp | string,
  options: { mark?: string; problems?: number; line?: number; pre?: readonly [string, string] } = {},
): HostileCase => {
  const base = options.pre ? replaceOnce(BASE_INVENTORY, ...options.pre) : BASE_INVENTORY;
  const inventory = replaceOnce(base, from, to);
  const args = INVENTORY_COMMANDS[inventoryIndex++ % INVENTORY_COMMANDS.length] ?? [];
  const message = typeof says === "string" ? escapeRe(says) : says.source;
  return {
    name: `inventory: ${name} (${args[0]}${args.includes("--check") ? " --check" : ""})`,
    args,
    files: { "inv.yaml": text(inventory) },
    code: 1,
    stderr: new RegExp(`${escapeRe(key)}: .*${message}`),
    at: {
      file: "inv.yaml",
      line: options.line ?? lineOf(inventory, options.mark ?? to.split("\n")[0] ?? to),
    },
    problems: options.problems ?? 1,
  };
};

const PW = '"s3cret"';
const CHARSET = "is not allowed";

/** Hook keys go under lvs.vrrp, after its auth line. */
const AUTH = 'auth: { type: PASS, password: "s3cret" }';
const hook = (
  name: string,
  yaml: string,
  key: string,
  says: RegExp | string,
  options: { mark?: string; problems?: number } = {},
): HostileCase =>
  inv(name, AUTH, `${AUTH}\n    ${yaml}`, key, says, { mark: options.mark ?? yaml, ...options });

/** Every hook string that reaches keepalived.conf: notify commands, track script names and commands, tracked interfaces. */
const hookCases = (): HostileCase[] => [
  hook(
    "notify.master $_RANDOM",
    'notify: { master: "/usr/local/sbin/up $_RANDOM" }',
    "lvs.vrrp.notify.master",
    CHARSET,
  ),
  hook(
    "notify.backup with a dollar-brace definition",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: keepalived's ${…} definition syntax is the input under test
    'notify: { backup: "/usr/local/sbin/up ${X}" }',
    "lvs.vrrp.notify.backup",
    CHARSET,
  ),
  hook(
    "notify.fault closes the block",
    'notify: { fault: "/usr/local/sbin/up }" }',
    "lvs.vrrp.notify.fault",
    CHARSET,
  ),
  hook(
    "notify.stop opens a block",
    'notify: { stop: "/usr/local/sbin/up {" }',
    "lvs.vrrp.notify.stop",
    CHARSET,
  ),
  hook(
    "notify.all with a quote",
    "notify: { all: '/usr/local/sbin/up\" root' }",
    "lvs.vrrp.notify.all",
    CHARSET,
  ),
  hook("notify with a comment #", 'notify: { all: "/usr/local/sbin/up #x" }', "lvs.vrrp.notify.all", CHARSET),
  hook("notify with a comment !", 'notify: { all: "/usr/local/sbin/up !x" }', "lvs.vrrp.notify.all", CHARSET),
  hook(
    "notify with a backslash",
    'notify: { all: "/usr/local/sbin/up\\\\x" }',
    "lvs.vrrp.notify.all",
    CHARSET,
  ),
  hook(
    "notify with a newline",
    'notify: { all: "/usr/local/sbin/up\\nvrrp_instance X {" }',
    "lvs.vrrp.notify.all",
    CHARSET,
  ),
  hook("notify with NUL", 'notify: { all: "/usr/local/sbin/up\\0x" }', "lvs.vrrp.notify.all", CHARSET),
  hook("notify with ;", 'notify: { all: "/usr/local/sbin/up;reboot" }', "lvs.vrrp.notify.all", CHARSET),
  hook("notify with $()", 'notify: { all: "/usr/local/sbin/up $(reboot)" }', "lvs.vrrp.notify.all", CHARSET),
  hook("notify with ESC", 'notify: { all: "/usr/local/sbin/up\\e[2J" }', "lvs.vrrp.notify.all", CHARSET),
  hook("notify relative path", "notify: { all: vip-up }", "lvs.vrrp.notify.all", 'cannot start with "v"'),
  hook(
    "notify of 300 characters",
    `notify: { all: /${"a".repeat(299)} }`,
    "lvs.vrrp.notify.all",
    "300 characters long",
  ),
  hook(
    "track script command $_PWD",
    'track_scripts: [{ name: up, script: "/usr/local/sbin/check $_PWD" }]',
    "lvs.vrrp.track_scripts[0].script",
    CHARSET,
  ),
  hook(
    "track script command with a quote",
    "track_scripts: [{ name: up, script: '/usr/local/sbin/check\"' }]",
    "lvs.vrrp.track_scripts[0].script",
    CHARSET,
  ),
  hook(
    "track script name closes the block",
    'track_scripts: [{ name: "up}", script: /usr/local/sbin/check }]',
    "lvs.vrrp.track_scripts[0].name",
    CHARSET,
  ),
  hook(
    "track script name with a space",
    'track_scripts: [{ name: "up x", script: /usr/local/sbin/check }]',
    "lvs.vrrp.track_scripts[0].name",
    CHARSET,
  ),
  hook(
    "tracked interface closes a block",
    'track_interfaces: ["e}0"]',
    "lvs.vrrp.track_interfaces[0].name",
    CHARSET,
  ),
  hook(
    "tracked interface with a newline",
    'track_interfaces: [{ name: "e0\\nvrrp", weight: -10 }]',
    "lvs.vrrp.track_interfaces[0].name",
    CHARSET,
  ),
  hook(
    "per-director notify $_RANDOM",
    'per_director: { ds2: { notify: { master: "/usr/local/sbin/up $_RANDOM" } } }',
    "lvs.vrrp.per_director.ds2.notify.master",
    CHARSET,
  ),
  hook(
    "per-director tracked interface with ;",
    'per_director: { ds1: { track_interfaces: ["eth1;reboot"] } }',
    "lvs.vrrp.per_director.ds1.track_interfaces[0].name",
    CHARSET,
  ),
  hook(
    "per-director track script command with dollar-brace",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: keepalived's ${…} definition syntax is the input under test
    'per_director: { ds1: { track_scripts: [{ name: up, script: "/usr/local/sbin/check ${X}" }] } }',
    "lvs.vrrp.per_director.ds1.track_scripts[0].script",
    CHARSET,
  ),
];

const inventoryCases: HostileCase[] = [
  // keepalived.conf: VRRP password (expansion, blocks, comments, quoting, NUL, length).
  inv(
    "password $_RANDOM (split brain)",
    PW,
    '"$_RANDOM"',
    "lvs.vrrp.auth.password",
    "character 1 is not allowed",
  ),
  // biome-ignore lint/suspicious/noTemplateCurlyInString: keepalived's ${…} definition syntax is the input under test
  inv("password ${X} definition", PW, '"${X}"', "lvs.vrrp.auth.password", "character 1 is not allowed"),
  inv("password $_PWD", PW, '"a$_PWD"', "lvs.vrrp.auth.password", "character 2 is not allowed"),
  inv("password closes the block", PW, '"a}b"', "lvs.vrrp.auth.password", "character 2 is not allowed"),
  inv("password opens a block", PW, '"a{b"', "lvs.vrrp.auth.password", "character 2 is not allowed"),
  inv("password with a comment #", PW, '"a#b"', "lvs.vrrp.auth.password", "character 2 is not allowed"),
  inv("password with a comment !", PW, '"a!b"', "lvs.vrrp.auth.password", "character 2 is not allowed"),
  inv("password with a quote", PW, "'a\"b'", "lvs.vrrp.auth.password", "character 2 is not allowed"),
  inv("password with a backslash", PW, '"a\\\\b"', "lvs.vrrp.auth.password", "character 2 is not allowed"),
  inv("password with NUL", PW, '"a\\0b"', "lvs.vrrp.auth.password", "character 2 is not allowed"),
  inv("password with a newline", PW, '"a\\nvrrp"', "lvs.vrrp.auth.password", "character 2 is not allowed"),
  inv("password with a space", PW, '"a b"', "lvs.vrrp.auth.password", "character 2 is not allowed"),
  inv(
    "password of 9 characters",
    PW,
    '"123456789"',
    "lvs.vrrp.auth.password",
    "hidden value of 9 characters",
  ),
  inv(
    "password shown only by length",
    PW,
    '"}secret"',
    "lvs.vrrp.auth.password",
    "found a hidden value of 7",
  ),
  inv("auth type with a brace", "type: PASS", 'type: "PASS}"', "lvs.vrrp.auth.type", "expected one of"),
  // Interface names (keepalived.conf, ip, iptables).
  inv("interface closes a block", "interface: eth0", 'interface: "e}0"', "hosts.ds1.interface", CHARSET),
  inv("interface with ;", "interface: eth0", 'interface: "eth0;reboot"', "hosts.ds1.interface", CHARSET),
  inv("interface with $()", "interface: eth0", 'interface: "$(id)"', "hosts.ds1.interface", CHARSET),
  inv(
    "interface of 16 characters",
    "interface: eth0",
    "interface: abcdefghijklmnop",
    "hosts.ds1.interface",
    "16 characters long",
  ),
  inv(
    "interface with a newline",
    "interface: eth0",
    'interface: "e0\\nvrrp"',
    "hosts.ds1.interface",
    CHARSET,
  ),
  inv(
    "interface starting with -",
    "interface: eth0",
    'interface: "-eth0"',
    "hosts.ds1.interface",
    'cannot start with "-"',
  ),
  inv("interface with ESC", "interface: eth0", 'interface: "eth\\e[31m"', "hosts.ds1.interface", CHARSET),
  // Failover hooks (keepalived.conf: notify_* "…", vrrp_script script "…", track_interface).
  ...hookCases(),
  // Host and group names (comments, cron, unit files, messages).
  inv("host name with ;", "  rs3:", '  "rs3;reboot":', "hosts.rs3;reboot", "invalid name"),
  inv("host name with a space", "  rs3:", '  "rs 3":', "hosts.rs 3", "invalid name"),
  inv(
    "host name of 65 characters",
    "  rs3:",
    `  ${"r".repeat(65)}:`,
    `hosts.${"r".repeat(63)}…`,
    "invalid name",
  ),
  inv("host name starting with -", "  rs3:", '  "-rs3":', "hosts.-rs3", "invalid name"),
  inv("host name with ESC", "  rs3:", '  "rs3\\e[2J":', "hosts.rs3\\x1b[2J", "invalid name"),
  inv(
    "group name with a space",
    "groups: [realservers]",
    'groups: ["real servers"]',
    "hosts.rs3.groups[0]",
    CHARSET,
  ),
  inv(
    "group one edit from a role",
    "groups: [realservers]",
    "groups: [realserver]",
    "hosts.rs3.groups[0]",
    'did you mean "realservers"',
  ),
  inv(
    "group typo of directors",
    "groups: [directors, realservers]",
    "groups: [director, realservers]",
    "hosts.ds1.groups[0]",
    'did you mean "directors"',
    { problems: 2 },
  ),
  // Service names (iptables --comment keeps 255 bytes, nft, firewalld, messages).
  inv(
    "service name of 300 characters",
    "name: web",
    `name: ${"w".repeat(300)}`,
    "lvs.services[0].name",
    "300 characters long",
  ),
  inv(
    "service name of 65 characters",
    "name: web",
    `name: ${"w".repeat(65)}`,
    "lvs.services[0].name",
    "65 characters long",
  ),
  inv("service name with a quote", "name: web", "name: 'web\"x'", "lvs.services[0].name", CHARSET),
  inv("service name with a brace", "name: web", 'name: "web}"', "lvs.services[0].name", CHARSET),
  inv(
    "service name with a rule line",
    "name: web",
    'name: "web\\n-A INPUT -j ACCEPT"',
    "lvs.services[0].name",
    CHARSET,
  ),
  inv("service name with $()", "name: web", 'name: "$(touch /tmp/x)"', "lvs.services[0].name", CHARSET),
  // Addresses (keepalived, ip, iptables, ssh).
  inv("vip with ;", "vip: {vip}", 'vip: "192.0.2.1; reboot"', "lvs.services[0].vip", "IPv4"),
  inv("vip IPv6", "vip: {vip}", 'vip: "::1"', "lvs.services[0].vip", "IPv4"),
  inv("vip with octet 300", "vip: {vip}", "vip: 192.0.2.300", "lvs.services[0].vip", "IPv4"),
  inv(
    "vip is another host's address",
    "vip: {vip}",
    "vip: {addr3}",
    "lvs.services[0].vip",
    "is the address of host rs3",
  ),
  inv(
    "vip is another host's data_address",
    "vip: {vip}",
    "vip: 192.0.2.33",
    "lvs.services[0].vip",
    "192.0.2.33",
    { pre: ["    groups: [realservers]\n", "    groups: [realservers]\n    data_address: 192.0.2.33\n"] },
  ),
  inv(
    "data_address with a brace",
    "    groups: [realservers]\n",
    '    groups: [realservers]\n    data_address: "1.2.3.4}"\n',
    "hosts.rs3.data_address",
    "IPv4",
    { mark: "data_address" },
  ),
  inv("address with a space", "address: {addr3}", 'address: "a b"', "hosts.rs3.address", CHARSET),
  inv("address with $()", "address: {addr3}", 'address: "$(id)"', "hosts.rs3.address", CHARSET),
  inv(
    "address as an ssh option",
    "address: {addr3}",
    'address: "-oProxyCommand=touch"',
    "hosts.rs3.address",
    'cannot start with "-"',
  ),
  // SSH settings.
  inv("user with ;", "user: root", 'user: "root;id"', "defaults.user", CHARSET),
  inv(
    "user as an option",
    "user: root",
    'user: "-oProxyCommand=x"',
    "defaults.user",
    'cannot start with "-"',
  ),
  inv(
    "user of 33 characters",
    "user: root",
    `user: ${"u".repeat(33)}`,
    "defaults.user",
    "33 characters long",
  ),
  inv("port 0", "port: {port3}", "port: 0", "hosts.rs3.port", "1-65535"),
  inv("port 65536", "port: {port3}", "port: 65536", "hosts.rs3.port", "1-65535"),
  inv("port 1e23 is reported once", "port: {port3}", "port: 1e23", "hosts.rs3.port", "1e+23"),
  inv("port with a command", "port: {port3}", 'port: "22; id"', "hosts.rs3.port", "expected"),
  inv("port 22.5", "port: {port3}", "port: 22.5", "hosts.rs3.port", "1-65535"),
  inv(
    "connect_timeout 1e400",
    "connect_timeout: 5",
    "connect_timeout: 1e400",
    "defaults.connect_timeout",
    "found 1e400 (not a finite number)",
  ),
  inv(
    "connect_timeout -1",
    "connect_timeout: 5",
    "connect_timeout: -1",
    "defaults.connect_timeout",
    "1-3600",
  ),
  inv(
    "connect_timeout 3601",
    "connect_timeout: 5",
    "connect_timeout: 3601",
    "defaults.connect_timeout",
    "1-3600",
  ),
  inv("identity path with NUL", "identity: {work}/key", 'identity: "/tmp/k\\0x"', "defaults.identity", "NUL"),
  inv(
    "password_env with a space is shown (a name, not a secret)",
    "  agent: false",
    '  agent: false\n  become: { enabled: true, password_env: "MY PW" }',
    "defaults.become.password_env",
    'found "MY PW"',
    { mark: "become" },
  ),
  inv(
    "password_env with $()",
    "  agent: false",
    '  agent: false\n  become: { enabled: true, password_env: "$(id)" }',
    "defaults.become.password_env",
    CHARSET,
    { mark: "become" },
  ),
  inv(
    "identity_passphrase_env with -",
    "  agent: false",
    '  agent: false\n  identity_passphrase_env: "A-B"',
    "defaults.identity_passphrase_env",
    CHARSET,
    { mark: "identity_passphrase_env" },
  ),
  inv(
    "jump to an unknown host",
    "    groups: [realservers]\n",
    "    groups: [realservers]\n    jump: nosuchhost\n",
    "hosts.rs3.jump",
    "nosuchhost",
    { mark: "jump" },
  ),
  // VRRP numbers and order.
  inv(
    "virtual_router_id 256",
    "virtual_router_id: 51",
    "virtual_router_id: 256",
    "lvs.vrrp.virtual_router_id",
    "expected",
  ),
  inv(
    "virtual_router_id 0",
    "virtual_router_id: 51",
    "virtual_router_id: 0",
    "lvs.vrrp.virtual_router_id",
    "expected",
  ),
  inv(
    "virtual_router_id as text",
    "virtual_router_id: 51",
    'virtual_router_id: "51\\n"',
    "lvs.vrrp.virtual_router_id",
    "expected",
  ),
  inv(
    "advert_int 0",
    "    order: [ds1, ds2]",
    "    order: [ds1, ds2]\n    advert_int: 0",
    "lvs.vrrp.advert_int",
    "expected",
    { mark: "advert_int" },
  ),
  inv(
    "order names an unknown director",
    "order: [ds1, ds2]",
    "order: [ds1, ds9]",
    "lvs.vrrp.order[1]",
    "ds9 is not a host",
    {
      problems: 2,
    },
  ),
  // Service fields (keepalived virtual_server, iptables, nft).
  inv("protocol sctp", "protocol: tcp", "protocol: sctp", "lvs.services[0].protocol", "expected one of"),
  inv(
    "protocol with a brace",
    "protocol: tcp",
    'protocol: "tcp}"',
    "lvs.services[0].protocol",
    "expected one of",
  ),
  inv("port 0 in ports", "ports: [80]", "ports: [0]", "lvs.services[0].ports[0]", "expected"),
  inv("port 65536 in ports", "ports: [80]", "ports: [65536]", "lvs.services[0].ports[0]", "expected"),
  inv("ports with a command", "ports: [80]", 'ports: ["80;x"]', "lvs.services[0].ports[0]", "expected"),
  inv("scheduler with a brace", "scheduler: rr", 'scheduler: "rr}"', "lvs.services[0].scheduler", "expected"),
  inv(
    "scheduler with a newline",
    "scheduler: rr",
    'scheduler: "rr\\n}"',
    "lvs.services[0].scheduler",
    "expected",
  ),
  inv(
    "forwarding nat",
    "      scheduler: rr",
    "      scheduler: rr\n      forwarding: nat",
    "lvs.services[0].forwarding",
    "expected",
    { mark: "forwarding" },
  ),
  inv(
    "persistence_timeout 1e400",
    "      scheduler: rr",
    "      scheduler: rr\n      persistence_timeout: 1e400",
    "lvs.services[0].persistence_timeout",
    "not a finite number",
    { mark: "persistence_timeout" },
  ),
  inv(
    "health check tcp with path",
    "kind: tcp, connect_timeout: 3",
    "kind: tcp, path: /x",
    "lvs.services[0].health_check.path",
    "it applies only with kind: http",
  ),
  inv(
    "health check key typo",
    "kind: tcp, connect_timeout: 3",
    "kind: tcp, delay_lop: 3",
    "lvs.services[0].health_check.delay_lop",
    'did you mean "delay_loop"',
  ),
  inv(
    "http path with a space",
    "kind: tcp, connect_timeout: 3",
    'kind: http, path: "/a b"',
    "lvs.services[0].health_check.path",
    CHARSET,
  ),
  inv(
    "http path with a brace",
    "kind: tcp, connect_timeout: 3",
    'kind: http, path: "/x}"',
    "lvs.services[0].health_check.path",
    CHARSET,
  ),
  inv(
    "http path with $",
    "kind: tcp, connect_timeout: 3",
    'kind: http, path: "/$_RANDOM"',
    "lvs.services[0].health_check.path",
    CHARSET,
  ),
  inv(
    "http path without /",
    "kind: tcp, connect_timeout: 3",
    "kind: http, path: index.html",
    "lvs.services[0].health_check.path",
    'cannot start with "i"',
  ),
  inv(
    "http path of 2000 characters",
    "kind: tcp, connect_timeout: 3",
    `kind: http, path: /${"p".repeat(2000)}`,
    "lvs.services[0].health_check.path",
    "characters long",
  ),
  inv(
    "http status 99",
    "kind: tcp, connect_timeout: 3",
    "kind: http, path: /, status: 99",
    "lvs.services[0].health_check.status",
    "expected",
  ),
  inv(
    "fwmark 0",
    "      scheduler: rr",
    "      scheduler: rr\n      fwmarks: { ds1: 0 }",
    "lvs.services[0].fwmarks.ds1",
    "expected",
    { mark: "fwmarks" },
  ),
  inv(
    "fwmark with a command",
    "      scheduler: rr",
    '      scheduler: rr\n      fwmarks: { ds1: "3;x" }',
    "lvs.services[0].fwmarks.ds1",
    "expected",
    { mark: "fwmarks" },
  ),
  inv(
    "weight -1",
    "      scheduler: rr",
    "      scheduler: rr\n      weights: { rs3: -1 }",
    "lvs.services[0].weights.rs3",
    "expected",
    { mark: "weights" },
  ),
  inv(
    "persistence with a command",
    "lvs:\n",
    'lvs:\n  persistence: "iptables;x"\n',
    "lvs.persistence",
    "expected one of",
    { mark: "persistence" },
  ),
  // Keys.
  inv("top-level key typo", "hosts:\n", "host:\n", "host", 'did you mean "hosts"', { problems: 2 }),
  inv(
    "key with a terminal escape and a forged line",
    "  agent: false",
    '  agent: false\n  "\\e[31mx\\ninv.yaml:1:1: forged": 1',
    "defaults.\\x1b[31mx\\x0ainv.yaml:1:1: forged",
    "unknown key",
    { mark: "forged" },
  ),
  inv(
    "key of 1000 characters is cut",
    "  agent: false",
    `  agent: false\n  ${"k".repeat(1000)}: 1`,
    `defaults.${"k".repeat(63)}…`,
    "unknown key",
    { mark: "kkkk" },
  ),
];

// YAML and file-level hostility, in inventories and playbooks.
const bomb = [
  "a: &a [x, x, x, x, x, x, x, x, x, x]",
  ...["b", "c", "d", "e", "f", "g", "h", "i"].map(
    (n, i) => `${n}: &${n} [${Array(10).fill(`*${"abcdefgh"[i]}`).join(", ")}]`,
  ),
].join("\n");
const yamlFile = (
  name: string,
  content: FileSpec,
  says: RegExp,
  line: number | undefined,
  command: readonly string[] = ["apply", "{dir}/inv.yaml", "--plain"],
): HostileCase => ({
  name: `file: ${name}`,
  args: command,
  files: { "inv.yaml": content },
  code: 1,
  stderr: says,
  ...(line === undefined ? {} : { at: { file: "inv.yaml", line } }),
});
const deep = (n: number) => `hosts: ${"[".repeat(n)}${"]".repeat(n)}\n`;
const deepBlock = (n: number) =>
  `vars:\n${Array.from({ length: n }, (_, i) => `${"  ".repeat(i + 1)}k${i}:`).join("\n")} 1\n`;
const manyKeys = (n: number, duplicateLast: boolean) =>
  `vars:\n${Array.from({ length: n }, (_, i) => `  k${i}: ${i}`).join("\n")}\n${duplicateLast ? "  k0: 0\n" : ""}hosts: {}\n`;

const fileCases: HostileCase[] = [
  yamlFile("alias bomb (billion laughs)", text(bomb), /aliases expand to more than \d+ values/, 5),
  yamlFile("alias bomb via audit", text(bomb), /aliases expand to more than/, 5, ["audit", "{dir}/inv.yaml"]),
  yamlFile("circular alias", text("a: &a\n  b: *a\n"), /refers to a node that contains it/, 2),
  yamlFile("2000 levels of flow nesting", text(deep(2000)), /nesting deeper than 64 levels/, 1),
  yamlFile("2000 levels of block nesting", text(deepBlock(2000)), /nesting deeper than 64 levels/, 65),
  yamlFile("duplicate key", text(`hosts: {}\nlvs: {}\nhosts: {}\n`), /duplicate key "hosts"/, 3),
  yamlFile(
    "20k keys, the last a duplicate (linear check; scripts/bench-input.mjs times 100k)",
    text(manyKeys(20_000, true)),
    /duplicate key "k0"/,
    20_002,
  ),
  yamlFile(
    "over the size limit",
    { kind: "bytes", size: 4 * 1024 * 1024 + 1, fill: 0x23 },
    /larger than the limit of 4 MiB/,
    1,
  ),
  yamlFile("a second document", text("hosts: {}\n---\nhosts: {}\n"), /a second YAML document/, 2),
  yamlFile("syntax error", text("hosts: [a, b\n"), /YAML syntax error/, undefined),
  yamlFile("tab indentation", text("hosts:\n\tds1: {}\n"), /YAML syntax error|tab/i, undefined),
  yamlFile("empty file", text(""), /expected a mapping/, 1),
  yamlFile("a FIFO", { kind: "fifo" }, /a named pipe \(FIFO\), expected a regular file/, 1),
  yamlFile("a directory", { kind: "dir" }, /a directory, expected a regular file/, 1),
  yamlFile("NUL bytes", { kind: "bytes", size: 64, fill: 0 }, /./, undefined),
  yamlFile("a list instead of a mapping", text("- hosts\n"), /expected a mapping/, 1),
  yamlFile("a JS function tag", text("hosts: !!js/function 'function(){}'\n"), /./, undefined),
  {
    name: "file: /dev/zero as inventory",
    args: ["apply", "/dev/zero", "--plain"],
    code: 1,
    stderr: /\/dev\/zero:1:1: cannot read file: a device, expected a regular file/,
  },
  {
    name: "file: inventory missing",
    args: ["audit", "{dir}/nope.yaml"],
    code: 1,
    stderr: /nope\.yaml:1:1: cannot read file: file not found/,
  },
  {
    name: "file: several problems reported at once",
    args: ["apply", "{dir}/inv.yaml", "--plain"],
    files: {
      "inv.yaml": text(
        replaceOnce(
          replaceOnce(replaceOnce(BASE_INVENTORY, "interface: eth0", 'interface: "e}0"'), PW, '"a$b"'),
          "port: {port3}",
          "port: 99999",
        ),
      ),
    },
    code: 1,
    stderr: /interface[\s\S]*port[\s\S]*password/,
    problems: 3,
  },
];

// Playbooks: task args reach remote commands (argv, creates, paths, units).
const PLAYBOOK_COMMANDS: readonly (readonly string[])[] = [
  ["apply", "{dir}/inv.yaml", "-p", "{dir}/pb.yaml", "--plain"],
  ["audit", "{dir}/inv.yaml", "-p", "{dir}/pb.yaml", "--plain"],
  ["apply", "{dir}/inv.yaml", "-p", "{dir}/pb.yaml", "--check", "--plain"],
  ["validate", "{dir}/inv.yaml", "-p", "{dir}/pb.yaml"],
];
let playbookIndex = 0;
const pb = (
  name: string,
  from: string,
  to: string,
  says: RegExp | string,
  options: { mark?: string; problems?: number } = {},
): HostileCase => {
  const playbook = replaceOnce(BASE_PLAYBOOK, from, to);
  const args = PLAYBOOK_COMMANDS[playbookIndex++ % PLAYBOOK_COMMANDS.length] ?? [];
  return {
    name: `playbook: ${name} (${args[0]}${args.includes("--check") ? " --check" : ""})`,
    args,
    files: { "inv.yaml": text(BASE_INVENTORY), "pb.yaml": text(playbook) },
    code: 1,
    stderr: typeof says === "string" ? new RegExp(escapeRe(says)) : says,
    at: { file: "pb.yaml", line: lineOf(playbook, options.mark ?? to.split("\n")[0] ?? to) },
    problems: options.problems ?? 1,
  };
};
const ARGV = "argv: [touch, /tmp/lvsplay-hostile-ran]";
const CREATES = "creates: /tmp/lvsplay-hostile-ran";

const playbookCases: HostileCase[] = [
  pb(
    "NUL in argv (once, not per host)",
    ARGV,
    'argv: [touch, "/tmp/a\\0b"]',
    /args\.argv\[1\]: expected a command argument.*"\\x00" is not allowed/,
  ),
  pb(
    "NUL in creates",
    CREATES,
    'creates: "/tmp/x\\0y"',
    /args\.creates: expected an absolute path.*"\\x00" is not allowed/,
  ),
  pb("NUL in unless", CREATES, 'unless: [test, "-e\\0"]', /args\.unless\[1\]: .*is not allowed/),
  pb("creates relative", CREATES, "creates: tmp/x", /args\.creates: expected an absolute path/),
  pb("creates with a newline", CREATES, 'creates: "/tmp/x\\nrm -rf /"', /args\.creates: .*is not allowed/),
  pb(
    "unless key typo, at the key",
    CREATES,
    "unles: [true]",
    'args.unles: unknown key "unles"; did you mean "unless"?',
  ),
  pb("argv key typo", ARGV, "argc: [true]", /args\.argc: unknown key "argc"; did you mean "argv"\?/, {
    problems: 2,
  }),
  pb("empty argv", ARGV, "argv: []", /args\.argv: /),
  pb("timeout 1e400", CREATES, "timeout: 1e400", /args\.timeout: /),
  pb("unknown operation", "op: command", "op: comand", /unknown operation.*comand|did you mean "command"/),
  pb(
    "file path relative",
    "op: command\n        args:\n          argv: [touch, /tmp/lvsplay-hostile-ran]\n          creates: /tmp/lvsplay-hostile-ran",
    "op: file\n        args: { path: etc/x, content: a }",
    /args\.path: expected an absolute path/,
    { mark: "args: {" },
  ),
  pb(
    "file path with a newline",
    "op: command\n        args:\n          argv: [touch, /tmp/lvsplay-hostile-ran]\n          creates: /tmp/lvsplay-hostile-ran",
    'op: file\n        args: { path: "/etc/x\\ny", content: a }',
    /args\.path: .*is not allowed/,
    { mark: "args: {" },
  ),
  pb(
    "file key typo",
    "op: command\n        args:\n          argv: [touch, /tmp/lvsplay-hostile-ran]\n          creates: /tmp/lvsplay-hostile-ran",
    'op: file\n        args: { path: /etc/x, content: a, mdoe: "0644" }',
    /args\.mdoe: unknown key "mdoe"; did you mean "mode"\?/,
    { mark: "args: {" },
  ),
  pb(
    "service name with a space",
    "op: command\n        args:\n          argv: [touch, /tmp/lvsplay-hostile-ran]\n          creates: /tmp/lvsplay-hostile-ran",
    'op: service\n        args: { name: "keep alived", state: started }',
    /args\.name: expected a service name/,
    { mark: "args: {" },
  ),
  pb(
    "service name with ;",
    "op: command\n        args:\n          argv: [touch, /tmp/lvsplay-hostile-ran]\n          creates: /tmp/lvsplay-hostile-ran",
    'op: service\n        args: { name: "x;reboot", state: started }',
    /args\.name: expected a service name/,
    { mark: "args: {" },
  ),
  pb("stage hosts with a reversed range", "hosts: all", 'hosts: "ds[z-a]"', /hosts/),
  pb("stage hosts with a newline", "hosts: all", 'hosts: "all\\nx"', /hosts/),
  pb("tag with a space", "op: command", 'op: command\n        tags: ["a b"]', /tags\[0\]/, { mark: "tags" }),
  pb("tag with ESC", "op: command", 'op: command\n        tags: ["a\\e[31m"]', /tags\[0\]/, { mark: "tags" }),
  pb(
    "notify an unknown handler",
    "op: command",
    "op: command\n        notify: [restrat keepalived]",
    /restrat keepalived/,
    { mark: "notify" },
  ),
  pb(
    "unknown template variable",
    "/tmp/lvsplay-hostile-ran]",
    '"/tmp/{{ nosuch }}"]',
    /unknown variable "nosuch"/,
  ),
  pb("task name with control characters", "name: run", 'name: "run\\e[2J"', /name/),
  pb(
    "playbook alias bomb",
    "name: hostile\n",
    `name: hostile\n${bomb.replace(/^/gm, "x")}\n`,
    /aliases expand to more than/,
    { mark: "xe:" },
  ),
  pb("playbook duplicate key", "name: hostile\n", "name: hostile\nname: again\n", /duplicate key "name"/, {
    mark: "name: again",
  }),
  pb(
    "playbook 2000 levels of nesting",
    CREATES,
    `creates: ${"[".repeat(2000)}${"]".repeat(2000)}`,
    /nesting deeper than 64 levels/,
  ),
];
playbookCases.push(
  {
    name: "playbook: a FIFO",
    args: ["apply", "{dir}/inv.yaml", "-p", "{dir}/pb.yaml", "--plain"],
    files: { "inv.yaml": text(BASE_INVENTORY), "pb.yaml": { kind: "fifo" } },
    code: 1,
    stderr: /pb\.yaml:1:1: cannot read file: a named pipe \(FIFO\)/,
  },
  {
    name: "playbook: over the size limit",
    args: ["audit", "{dir}/inv.yaml", "-p", "{dir}/pb.yaml"],
    files: {
      "inv.yaml": text(BASE_INVENTORY),
      "pb.yaml": { kind: "bytes", size: 4 * 1024 * 1024 + 1, fill: 0x23 },
    },
    code: 1,
    stderr: /pb\.yaml:1:1: cannot read file: .*larger than the limit of 4 MiB/,
  },
);

// CLI flags are input too: validated like inventory values.
const withInventory = (
  name: string,
  args: readonly string[],
  says: RegExp,
  extra: Partial<HostileCase> = {},
): HostileCase => ({
  name: `cli: ${name}`,
  args,
  files: { "inv.yaml": text(BASE_INVENTORY) },
  code: 1,
  stderr: says,
  ...extra,
});
const UNITS = ["audit", "{dir}/inv.yaml", "--print-systemd-units", "--prom-file", "/tmp/x.prom"];
const cliCases: HostileCase[] = [
  withInventory(
    "--limit injects a cron line",
    [...UNITS, "--limit", "ds1\n* * * * * root touch /tmp/PWNED #"],
    /--limit: .*"\\x0a" is not allowed/,
  ),
  withInventory(
    "--limit injects a unit line",
    [...UNITS, "--limit", "ds1\nExecStartPre=/bin/touch /tmp/P"],
    /--limit: .*is not allowed/,
  ),
  withInventory(
    "--limit with a quote for the unit",
    [...UNITS, "--limit", 'ds1" "--evil'],
    /--limit: .*is not allowed/,
  ),
  withInventory(
    "--limit nosuchhost (units)",
    [...UNITS, "--limit", "nosuchhost"],
    /nosuchhost is neither a host nor a group/,
  ),
  withInventory(
    "--limit nosuchhost (apply)",
    ["apply", "{dir}/inv.yaml", "--limit", "nosuchhost"],
    /nosuchhost is neither a host nor a group/,
  ),
  withInventory(
    "--limit reversed range",
    ["audit", "{dir}/inv.yaml", "--limit", "ds[z-a]"],
    /a \[\.\.\.\] range must go from low to high/,
  ),
  withInventory(
    "--limit with ESC",
    ["apply", "{dir}/inv.yaml", "--check", "--limit", "ds1\x1b[2J"],
    /--limit: .*\\x1b/,
  ),
  withInventory(
    "--limit of 5000 characters",
    ["apply", "{dir}/inv.yaml", "--limit", "d".repeat(5000)],
    /--limit: /,
  ),
  withInventory(
    "--limit near miss",
    ["apply", "{dir}/inv.yaml", "--limit", "dirctors"],
    /did you mean "directors"/,
  ),
  withInventory(
    "--tags nosuchtag (apply)",
    ["apply", "{dir}/inv.yaml", "--tags", "nosuchtag"],
    /--tags: no task .* has tag\(s\) nosuchtag/,
  ),
  withInventory(
    "--skip-tags nosuchtag",
    ["apply", "{dir}/inv.yaml", "--skip-tags", "nosuchtag"],
    /nosuchtag/,
  ),
  withInventory("--tags with a newline", ["apply", "{dir}/inv.yaml", "--tags", "x\ny"], /--tags/),
  withInventory(
    "--prom-file with a newline",
    [...UNITS.slice(0, 3), "--prom-file", "/tmp/x\n* * * * * root x.prom"],
    /control characters/,
  ),
  withInventory("--prom-file not *.prom", [...UNITS.slice(0, 3), "--prom-file", "/tmp/x.txt"], /\*\.prom/),
  withInventory(
    "--interval injects a unit line",
    [...UNITS, "--interval", "5min\nExecStartPre=/bin/touch /tmp/P"],
    /invalid interval/,
  ),
  withInventory("--interval with ;", [...UNITS, "--interval", "1h;x"], /invalid interval/),
  withInventory(
    "--listen injection",
    [
      "audit",
      "{dir}/inv.yaml",
      "--print-systemd-units",
      "--watch",
      "--listen",
      "127.0.0.1:9808\nExecStartPre=x",
    ],
    /--listen/,
  ),
  withInventory(
    "--listen without --watch",
    ["audit", "{dir}/inv.yaml", "--listen", ":9808"],
    /--listen needs --watch/,
  ),
  withInventory(
    "--forks 1e400",
    ["apply", "{dir}/inv.yaml", "--forks", "1e400"],
    /expected a positive integer/,
  ),
  withInventory("--forks 0", ["audit", "{dir}/inv.yaml", "-f", "0"], /expected a positive integer/),
  withInventory(
    "--max-fail-percent 101",
    ["apply", "{dir}/inv.yaml", "--max-fail-percent", "101"],
    /expected 0-100/,
  ),
  withInventory("--serial garbage", ["apply", "{dir}/inv.yaml", "--serial", "1;x"], /--serial/),
  withInventory("--serial 0", ["apply", "{dir}/inv.yaml", "--serial", "0"], /--serial/),
  withInventory("-F a FIFO", ["apply", "{dir}/inv.yaml", "-F", "{dir}/cfg"], /a named pipe \(FIFO\)/, {
    files: { "inv.yaml": text(BASE_INVENTORY), cfg: { kind: "fifo" } },
  }),
  withInventory(
    "-F with a newline in the name",
    ["audit", "{dir}/inv.yaml", "-F", "{dir}/a\nforged: line"],
    /a\\x0aforged/,
  ),
  withInventory(
    "-p missing",
    ["apply", "{dir}/inv.yaml", "-p", "{dir}/nope.yaml"],
    /nope\.yaml:1:1: cannot read file/,
  ),
  withInventory(
    "--log-file is a FIFO",
    ["apply", "{dir}/inv.yaml", "--check", "--log-file", "{dir}/log"],
    /--log-file .*log: a named pipe \(FIFO\) or device/,
    {
      files: { "inv.yaml": text(BASE_INVENTORY), log: { kind: "fifo" } },
    },
  ),
  withInventory("unknown option", ["apply", "{dir}/inv.yaml", "--chek"], /unknown option/),
  {
    name: "cli: LVSPLAY_INVENTORY with a newline",
    args: ["validate"],
    env: { LVSPLAY_INVENTORY: "{dir}/x\nforged.yaml:1:1: error" },
    code: 1,
    stderr: /x\\x0aforged\.yaml/,
  },
  {
    name: "cli: inventory import of a FIFO",
    args: ["inventory", "import", "{dir}/hosts.ini"],
    files: { "hosts.ini": { kind: "fifo" } },
    code: 1,
    stderr: /a named pipe \(FIFO\)/,
  },
  {
    name: "cli: inventory import --map injection",
    args: ["inventory", "import", "{dir}/hosts.ini", "--map", "directors=a\nb"],
    files: { "hosts.ini": text("[web]\nweb1\n") },
    code: 1,
    stderr: /--map/,
  },
  {
    name: "cli: inventory import of a command as ansible_host (not mapped)",
    args: ["inventory", "import", "{dir}/hosts.ini"],
    files: { "hosts.ini": text("[web]\nweb1 ansible_host='$(id)'\n") },
    // Left out of the output with a comment saying why; the rest imports.
    code: 0,
    stderr: /^$/,
    stdout: /# not mapped: ansible_host "\$\(id\)" \(not an IPv4 address or host name\)/,
  },
];

// Local files named by the inventory: refused at once, nothing blocks.
const withFile = (
  name: string,
  from: string,
  to: string,
  file: string,
  spec: FileSpec,
  code: number,
  says: RegExp,
): HostileCase => ({
  name: `local file: ${name}`,
  args: ["apply", "{dir}/inv.yaml", "--plain"],
  files: { "inv.yaml": text(replaceOnce(BASE_INVENTORY, from, to)), [file]: spec },
  code,
  // Exit 3: every host unreachable, said in the run's output (stdout), nothing on stderr.
  ...(code === 3 ? { stderr: /^$/, stdout: says } : { stderr: says }),
});
const localFileCases: HostileCase[] = [
  withFile(
    "identity is a FIFO",
    "identity: {work}/key",
    "identity: {dir}/key",
    "key",
    { kind: "fifo" },
    3,
    /cannot read identity file .*a named pipe \(FIFO\)/,
  ),
  withFile(
    "identity is /dev/zero",
    "identity: {work}/key",
    "identity: /dev/zero",
    "unused",
    { kind: "dir" },
    3,
    /identity file \/dev\/zero: a device/,
  ),
  withFile(
    "identity is too big",
    "identity: {work}/key",
    "identity: {dir}/key",
    "key",
    { kind: "bytes", size: 300 * 1024, fill: 0x41 },
    3,
    /larger than the limit of 256 KiB/,
  ),
  withFile(
    "known_hosts is a FIFO",
    "known_hosts: {work}/kh",
    "known_hosts: {dir}/kh",
    "kh",
    { kind: "fifo" },
    3,
    /known_hosts .*a named pipe \(FIFO\)/,
  ),
  withFile(
    "ssh_config is a FIFO",
    "defaults:",
    "ssh_config: cfg\ndefaults:",
    "cfg",
    { kind: "fifo" },
    1,
    /inv\.yaml:1:\d+: ssh_config: .*a named pipe \(FIFO\)/,
  ),
];

// Controls: the same machinery sees a valid run succeed and sees connections.
const controls: HostileCase[] = [
  {
    name: "control: a valid inventory validates",
    args: ["validate", "{dir}/inv.yaml"],
    files: { "inv.yaml": text(BASE_INVENTORY) },
    code: 0,
    stderr: /^$/,
  },
  {
    name: "control: facts on a valid inventory connects (the listeners count)",
    args: ["facts", "{dir}/inv.yaml"],
    files: { "inv.yaml": text(BASE_INVENTORY) },
    code: 3,
    stderr: /^$/,
    stdout: /"unreachable": "cannot connect to host ds1/,
    contacts: "some",
  },
];

export const HOSTILE_CASES: readonly HostileCase[] = [
  ...inventoryCases,
  ...fileCases,
  ...playbookCases,
  ...cliCases,
  ...localFileCases,
  ...controls,
];
