/**
 * Inventory file format (YAML). Unknown keys are errors everywhere: a typo is
 * never silently ignored. Strings that reach keepalived.conf, iptables rules,
 * unit files or remote commands are checked against the character sets of
 * config/charsets.ts (README, "Limits"). Every field:
 *
 * defaults:                  Connection defaults for every host; each one can be overridden per host.
 *   user: root               SSH login user (default root).
 *   port: 22                 SSH port 1-65535 (default 22).
 *   identity: ~/.ssh/key     Private key file. "~" expands to $HOME; relative paths resolve
 *                            against the inventory file's folder.
 *   identity_passphrase_env: NAME   Environment variable holding the passphrase of an
 *                            encrypted identity file (never the passphrase itself).
 *   agent: true|false        Use the SSH agent ($SSH_AUTH_SOCK). Default: when SSH_AUTH_SOCK
 *                            is set, like OpenSSH.
 *   known_hosts: ~/.ssh/known_hosts   File for strict host key checking (default shown).
 *   connect_timeout: 10      Seconds for the TCP/SSH handshake, 1-3600 (default 10).
 *   timeout_scale: 1         Multiplies every time limit lvsplay sets on the host, 1-100 (default 1):
 *                            each remote command's, the waits inside its scripts (a daemon's stop,
 *                            a client probe's per request, a just-started sysv daemon's reload
 *                            guard), the drain's waits and SSH keepalive's patience. For hosts far
 *                            slower than usual (emulated, heavily overloaded). A command killed
 *                            at its limit is named in the error with the limit and the scale.
 *   become:                  Privilege escalation with sudo.
 *     enabled: false         (default false; root logins need none)
 *     password_env: NAME     Environment variable holding the sudo password, or
 *     password_file: PATH    a file holding it (mode 0600 or stricter, owned by you or root;
 *                            one line). At most one; read once when the inventory is loaded.
 *                            Neither → `sudo -n`, which never prompts.
 *                            Unset connection settings come from ssh_config (below), then the
 *                            defaults shown; inventory values always win over ssh_config.
 * ssh_config: ~/.ssh/config  OpenSSH client config to read (like `ssh -F`; "none" reads none).
 *                            Default: ~/.ssh/config then /etc/ssh/ssh_config, like ssh. Used:
 *                            HostName, User, Port, IdentityFile, IdentitiesOnly, IdentityAgent,
 *                            ProxyJump, HostKeyAlias, UserKnownHostsFile, ConnectTimeout.
 * vars: { name: value }      Variables for every host (lowest precedence).
 * groups:                    Optional group definitions; groups are also created by membership.
 *   NAME: { vars: {...} }    Group variables (override inventory vars, overridden by host vars).
 * hosts:                     Required, at least one.
 *   NAME:                    Letters, digits, ".", "_", "-", starting with a letter or digit, 1-64.
 *     address: 192.0.2.11    IPv4 address, DNS name or ssh_config Host alias (default: the host's
 *                            name). Names are resolved once per run; one resolving to several
 *                            IPv4 addresses is an error. SSH target and data-plane address.
 *     port/user/identity/agent/known_hosts/connect_timeout/become: as in defaults.
 *     jump: bastion          Another host of this inventory to tunnel SSH through.
 *     groups: [directors]    Group membership. The roles "directors", "realservers" and
 *                            "clients" always exist and need no definition.
 *     interface: eth1        Data-plane interface (optional; otherwise discovered from routes);
 *                            letters, digits, ".", "_", "-", 1-15 characters.
 *     data_address: 7.7.7.13 Data-plane IPv4 address when `address` is a management or
 *                            forwarded address (real-server lines use it; default: address).
 *     vars: {...}            Host variables (highest precedence).
 * lvs:                       Optional: the load-balanced services and their VRRP pair.
 *   persistence: auto        Where mark rules live and persist: auto | iptables | firewalld | nftables
 *                            (default auto: firewalld when it runs, nftables when nftables.service
 *                            is enabled and no iptables loader is, else the iptables save file).
 *   vrrp_only: false         LAB CONCESSION: keepalived runs VRRP only, for kernels without IPVS.
 *   connection_sync: false   IPVS connection synchronisation: keepalived runs the kernel's sync
 *                            daemon (lvs_sync_daemon) on each director's data interface, master on
 *                            the VRRP MASTER, backup on the others, so connections established through
 *                            the master keep working after a failover; and net.ipv4.vs.backup_only=1,
 *                            so a director that is not MASTER only serves (no forwarding along old
 *                            connection entries: closes the loop a failback can open without it).
 *                            Directors then share one fwmark per service (sync messages carry it),
 *                            start as BACKUP and wait 5 s (preempt_delay) before taking the VIP back,
 *                            and re-sync each connection every 2 s (sync_threshold 3 0,
 *                            sync_refresh_period 2).
 *                            Needs multicast between directors (UDP 224.0.0.81:8848; not with
 *                            vrrp.unicast) and IPVS (not with vrrp_only).
 *   connection_sync_maxlen: 1 Optional, with connection_sync (keepalived's `maxlen`, 1-1472): the
 *                            largest sync message the MASTER sends, in bytes. The kernel sends a
 *                            message when the next entry does not fit (or after 2 s): the default
 *                            (1500 − 28 = 1472 on the MASTER) batches ~40 entries, so a failover meets the
 *                            youngest connections not yet synced; below 80 (an IPv4 entry is 36
 *                            bytes after an 8-byte header) every entry leaves with the next one, at
 *                            one packet per sync event.
 *   allow_looping_layout: false   Explicit, loud override: a director may also be a real server
 *                            of the same VIP:port without the loop protection.
 *   keepalived:              Optional: how lvsplay's configuration joins the host's keepalived.
 *     config: /etc/keepalived/keepalived.conf   The main file keepalived reads (its -f). lvsplay
 *                            only makes sure it has one `include` line for lvsplay's file.
 *     lvsplay_config: /etc/keepalived/lvsplay.conf   lvsplay's own file (VRRP instance, virtual servers).
 *     adopt: false           Replace hand-made blocks that already serve an inventory VIP (a
 *                            vrrp_instance holding it, virtual_server VIP PORT or its fwmark) in the
 *                            main file; without it lvsplay stops and lists them.
 *   vrrp:                    Required when lvs is present.
 *     virtual_router_id: 51  1-255, unique on the LAN.
 *     order: [ds1, ds2]      Directors, highest priority first. Exactly one of order / priorities;
 *     priorities: {ds1: 150} priorities are 1-254 per director. From order they are derived as
 *                            100 + 50·(n-1-i) (smaller steps when more than 4 directors).
 *     advert_int: 1          Seconds between adverts, 1-255 (default 1).
 *     auth:                  Optional. type: PASS | AH (default PASS), and exactly one of
 *       password_env: NAME   an environment variable holding the password,
 *       password_file: PATH  a file holding it (mode 0600 or stricter; "~" and relative paths
 *                            as for identity), or
 *       password: secret     the password itself (kept in the inventory: prefer the two above).
 *                            1-8 characters (keepalived uses only the first 8): letters, digits,
 *                            - _ . , : ; + = @ % ^ & * ( ) [ ] < > / ? | ~ (never $ { } # !
 *                            quotes \ or whitespace: keepalived syntax). Read once when the
 *                            inventory is loaded; never printed.
 *     unicast: false         Unicast peers instead of multicast (default false).
 *     nopreempt: false       Do not take the VIP back after recovering (default false). A rolling
 *                            apply then drains a holder by stopping keepalived (peers never
 *                            preempt a lowered priority), which resets requests in flight.
 *     notify:                Failover hooks keepalived runs (as root) when this director's VRRP
 *       master: /usr/local/sbin/vip-up    state changes: master, backup, fault, stop, and all
 *       all: /usr/local/sbin/vrrp-event   (keepalived's `notify`: called with INSTANCE NAME STATE
 *                            PRIORITY appended). Absolute path, then arguments one space apart.
 *     track_interfaces: [eth0, { name: bond0, weight: -30 }]   Interfaces whose failure puts this
 *                            director in FAULT (no weight) or lowers its priority (weight -253..253).
 *     track_scripts:         Checks keepalived runs; failure → FAULT, or priority + weight.
 *       - { name: web_up, script: /usr/local/bin/check-web 80, interval: 2, timeout: 2,
 *           weight: -60, rise: 2, fall: 2 }   interval default 2 s; the others optional.
 *     per_director:          Hooks of one director: { ds2: { notify: {...}, track_interfaces: [...],
 *                            track_scripts: [...] } }. notify merges by event with the common one;
 *                            a list given here replaces the common list.
 *   services:                At least one.
 *     - name: web            Unique; a name as for hosts (1-64: it is part of rule comments).
 *       vip: 192.0.2.100     IPv4 virtual address; must not be a host's address.
 *       protocol: tcp        tcp | udp (default tcp).
 *       ports: [80, 443]     Exactly one of ports (list) / port (single).
 *       scheduler: rr        rr wrr lc wlc lblc lblcr dh sh sed nq fo ovf mh (default rr).
 *       forwarding: dr       Only dr (direct routing) is supported (default dr).
 *       persistence_timeout: 300   Optional seconds; 0 = no persistence.
 *       health_check:        Default { kind: tcp, connect_timeout: 3, delay_loop: 5, retry: 2 }.
 *         kind: tcp          tcp | http. http adds path (default "/") and status (default 200).
 *         connect_timeout: 3, delay_loop: 5, retry: 2, port: 80   port defaults to the first port.
 *       fwmarks: { ds1: 3 }  Optional pinned fwmarks per director, 1..0xffffffff.
 *       weights: { rs3: 2 }  Optional real server weights 0-65535 (default 1).
 */
import { z } from "zod";
import {
  ENV_NAME,
  HTTP_PATH,
  KEEPALIVED_PATH,
  SCRIPT_COMMAND,
  USER,
  VRRP_PASSWORD,
} from "../config/charsets.js";
import {
  filePath,
  hostName,
  inCharset,
  interfaceName,
  intRange,
  ipv4,
  port,
  sshAddress,
} from "../config/validators.js";

const expected = (what: string) => ({ error: `expected ${what}` });

const varsSchema = z.record(z.string(), z.unknown(), expected("a mapping of variables"));

const envName = inCharset(ENV_NAME);

const userName = inCharset(USER);

const becomeSchema = z.strictObject({
  enabled: z.boolean().optional(),
  password_env: envName.optional(),
  password_file: filePath.optional(),
});

/** Connection settings shared by `defaults` and every host (all optional: merged, then defaulted). */
const connectionFields = {
  user: userName.optional(),
  port: port.optional(),
  identity: filePath.optional(),
  identity_passphrase_env: envName.optional(),
  agent: z.boolean().optional(),
  known_hosts: filePath.optional(),
  connect_timeout: intRange(1, 3600).optional(),
  timeout_scale: intRange(1, 100).optional(),
  become: becomeSchema.optional(),
};

const hostSchema = z.strictObject({
  address: sshAddress.optional(),
  ...connectionFields,
  jump: hostName.optional(),
  groups: z.array(hostName).optional(),
  interface: interfaceName.optional(),
  data_address: ipv4.optional(),
  vars: varsSchema.optional(),
});

const groupSchema = z.strictObject({ vars: varsSchema.optional() }).nullable();

// Failover hooks (keepalived's notify scripts, track_interface, track_script).
const scriptCommand = inCharset(SCRIPT_COMMAND);
/** keepalived's range for track_interface and vrrp_script weights (±254 is refused). */
const trackWeight = intRange(-253, 253, "a weight -253..253");

const notifySchema = z.strictObject({
  master: scriptCommand.optional(),
  backup: scriptCommand.optional(),
  fault: scriptCommand.optional(),
  stop: scriptCommand.optional(),
  all: scriptCommand.optional(),
});

/** `eth0` or `{ name: eth0, weight: -30 }`. */
const trackInterfaceSchema = z.preprocess(
  (v) => (typeof v === "string" ? { name: v } : v),
  z.strictObject({ name: interfaceName, weight: trackWeight.optional() }),
);

const trackScriptSchema = z.strictObject({
  name: hostName,
  script: scriptCommand,
  interval: intRange(1, 3600).default(2),
  timeout: intRange(1, 3600).optional(),
  weight: trackWeight.optional(),
  rise: intRange(1, 100).optional(),
  fall: intRange(1, 100).optional(),
});

const hooksFields = {
  notify: notifySchema.optional(),
  track_interfaces: z.array(trackInterfaceSchema).optional(),
  track_scripts: z.array(trackScriptSchema).optional(),
};

const vrrpSchema = z.strictObject({
  virtual_router_id: intRange(1, 255),
  order: z.array(hostName).min(1, expected("at least one director")).optional(),
  priorities: z.record(hostName, intRange(1, 254)).optional(),
  advert_int: intRange(1, 255).default(1),
  auth: z
    .strictObject({
      type: z.enum(["PASS", "AH"]).default("PASS"),
      password: inCharset(VRRP_PASSWORD).optional(),
      password_env: envName.optional(),
      password_file: filePath.optional(),
    })
    .optional(),
  unicast: z.boolean().default(false),
  nopreempt: z.boolean().default(false),
  ...hooksFields,
  per_director: z.record(hostName, z.strictObject(hooksFields)).optional(),
});

const healthCheckTimings = {
  connect_timeout: intRange(1, 3600).default(3),
  delay_loop: intRange(1, 3600).default(5),
  retry: intRange(0, 100).default(2),
  port: port.optional(),
};

const healthCheckSchema = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("tcp"), ...healthCheckTimings }),
  z.strictObject({
    kind: z.literal("http"),
    path: inCharset(HTTP_PATH).default("/"),
    status: intRange(100, 599, "an HTTP status code 100-599").default(200),
    ...healthCheckTimings,
  }),
]);

export const SCHEDULERS = [
  "rr",
  "wrr",
  "lc",
  "wlc",
  "lblc",
  "lblcr",
  "dh",
  "sh",
  "sed",
  "nq",
  "fo",
  "ovf",
  "mh",
] as const;

const serviceSchema = z.strictObject({
  name: hostName,
  vip: ipv4,
  protocol: z.enum(["tcp", "udp"]).default("tcp"),
  ports: z.array(port).min(1, expected("at least one port")).optional(),
  port: port.optional(),
  scheduler: z.enum(SCHEDULERS).default("rr"),
  forwarding: z
    .literal("dr", expected('"dr": only direct routing is supported (no NAT or tunnelling)'))
    .default("dr"),
  persistence_timeout: intRange(0, 31_536_000, "a number of seconds 0-31536000").optional(),
  health_check: healthCheckSchema.optional(),
  fwmarks: z.record(hostName, intRange(1, 0xffffffff, "a fwmark 1-4294967295")).optional(),
  weights: z.record(hostName, intRange(0, 65535, "a weight 0-65535")).optional(),
});

/** An absolute path of plain characters: it ends up in keepalived's include line and in shell arguments. */
const configPath = inCharset(KEEPALIVED_PATH);

const keepalivedSchema = z.strictObject({
  config: configPath.default("/etc/keepalived/keepalived.conf"),
  lvsplay_config: configPath.default("/etc/keepalived/lvsplay.conf"),
  adopt: z.boolean().default(false),
});

const lvsSchema = z.strictObject({
  persistence: z.enum(["auto", "iptables", "firewalld", "nftables"]).default("auto"),
  keepalived: keepalivedSchema.optional(),
  vrrp_only: z.boolean().default(false),
  allow_looping_layout: z.boolean().default(false),
  connection_sync: z.boolean().default(false),
  // At most the master's default (1500 − 28): a director that has not yet
  // taken a larger value (mid-roll) receives into a buffer of that size.
  connection_sync_maxlen: z.number().int().min(1).max(1472).optional(),
  vrrp: vrrpSchema,
  services: z.array(serviceSchema).min(1, expected("at least one service")),
});

export const inventorySchema = z.strictObject({
  ssh_config: filePath.optional(),
  defaults: z.strictObject(connectionFields).optional(),
  vars: varsSchema.optional(),
  groups: z.record(hostName, groupSchema).optional(),
  hosts: z.record(hostName, hostSchema),
  lvs: lvsSchema.optional(),
});

/** The inventory as written (snake_case), after structural validation and schema defaults. */
export type RawInventory = z.output<typeof inventorySchema>;
export type RawHost = z.output<typeof hostSchema>;
export type RawConnection = z.output<z.ZodObject<typeof connectionFields>>;
export type RawLvs = z.output<typeof lvsSchema>;
export type RawService = z.output<typeof serviceSchema>;
