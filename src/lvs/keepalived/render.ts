// keepalived.conf text from the typed model, one pure function per block.
// Rules learnt from keepalived 2.2.7: one keyword per line (nested blocks on one
// line are not parsed), and no port on `real_server` lines of a fwmark virtual
// server (keepalived clears it with a warning): the port goes in connect_port.
// Output is deterministic (no timestamps) so a re-render compares equal.
// Every string is checked against its character set (config/charsets.ts) as it
// is written: validation already refused anything else, this is defence in
// depth — a `}`, `$`, `#` or newline would change what keepalived reads.
import {
  assertCharset,
  type Charset,
  HTTP_PATH,
  INTERFACE,
  IPV4,
  isControlChar,
  NAME,
  VRRP_PASSWORD,
} from "../../config/charsets.js";
import type { HealthCheck } from "../../inventory/model.js";
import {
  DRAIN_TRACK,
  type KeepalivedConfig,
  type RealServerConfig,
  type VirtualServerConfig,
  type VrrpInstanceConfig,
} from "./model.js";
import { renderInstanceHooks, renderVrrpScripts } from "./render-hooks.js";

const INDENT = "    ";

/** The value, if it is in its set; throws CharsetError otherwise (never renders it). */
const safe = (charset: Charset, value: string, what: string): string =>
  assertCharset(charset, value, `keepalived.conf: ${what}`);

/** `header {`, body indented one level, `}`. */
export function block(header: string, body: readonly string[]): string[] {
  return [`${header} {`, ...body.map((l) => (l === "" ? l : INDENT + l)), "}"];
}

/** Which global_defs lvsplay's file carries: only what the host's own configuration does not set. */
export interface GlobalDefsOptions {
  readonly routerId: boolean;
  readonly scriptSecurity: boolean;
}

const ALL_GLOBAL_DEFS: GlobalDefsOptions = { routerId: true, scriptSecurity: false };

export function renderHeader(cfg: KeepalivedConfig): string[] {
  const lines = [
    "# lvsplay's keepalived configuration: replaced on every apply (edit the inventory, not this",
    "# file). keepalived.conf includes it; the host's own configuration lives there, untouched.",
    `# Director ${safe(NAME, cfg.routerId, "router_id")}.`,
  ];
  lines.push(
    "# Virtual servers use firewall marks (set by the LVSPLAY-MARK mangle chain, which",
    "# skips packets forwarded by peer directors) so co-located directors cannot ping-pong.",
  );
  if (cfg.vrrpOnly) {
    lines.push(
      "# VRRP ONLY (lab concession for a kernel without IPVS): keepalived runs with -P, so",
      "# the virtual_server blocks are not programmed and nothing is load-balanced.",
      "# Never use this in production.",
    );
  }
  return lines;
}

export function renderGlobalDefs(cfg: KeepalivedConfig, opts: GlobalDefsOptions = ALL_GLOBAL_DEFS): string[] {
  const sync = cfg.syncDaemon;
  const body = [
    ...(opts.routerId ? [`router_id ${safe(NAME, cfg.routerId, "router_id")}`] : []),
    // Hooks run as root (named per script): keepalived then insists they are root's and not writable by others.
    ...(opts.scriptSecurity ? ["enable_script_security"] : []),
    // keepalived runs the kernel's master sync daemon while this instance is MASTER, the backup one otherwise.
    ...(sync
      ? [
          `lvs_sync_daemon ${safe(INTERFACE, sync.interface, "lvs_sync_daemon interface")} ${safe(NAME, sync.vrrpInstance, "lvs_sync_daemon instance")} id ${sync.syncId}${sync.maxlen === undefined ? "" : ` maxlen ${sync.maxlen}`}`,
        ]
      : []),
  ];
  return body.length > 0 ? block("global_defs", body) : [];
}

/** The instance's reference to the drain's track file (drain.ts looks for it in the live file). */
export const drainTrackLine = `${DRAIN_TRACK.name} weight ${DRAIN_TRACK.weight}`;

/** The drain's track file, declared before the instance that watches it. */
export function renderDrainTrackFile(v: VrrpInstanceConfig): string[] {
  if (!v.drainTrack) return [];
  return [
    "# The rolling apply's drain writes 1 here to hand this director's VIPs to a peer (priority",
    "# drops to 1 while it keeps serving until the peer took over); removed when the drain ends.",
    // `vrrp_track_file`: what keepalived 2.0 reads; 2.1+ also reads it (a deprecated synonym of
    // `track_file`, a log line at start), where `track_file` would fail `keepalived -t` on 2.0.
    ...block(`vrrp_track_file ${DRAIN_TRACK.name}`, [`file "${DRAIN_TRACK.file}"`]),
  ];
}

export function renderVrrpInstance(v: VrrpInstanceConfig): string[] {
  const body = [
    `state ${v.state}`,
    `interface ${safe(INTERFACE, v.interface, "interface")}`,
    `virtual_router_id ${v.virtualRouterId}`,
    `priority ${v.priority}`,
    `advert_int ${v.advertIntSec}`,
  ];
  if (v.nopreempt) body.push("nopreempt");
  if (v.preemptDelaySec !== undefined) body.push(`preempt_delay ${v.preemptDelaySec}`);
  if (v.drainTrack) body.push(...block("track_file", [drainTrackLine]));
  if (v.auth)
    body.push(
      ...block("authentication", [
        `auth_type ${v.auth.type === "AH" ? "AH" : "PASS"}`,
        `auth_pass ${safe(VRRP_PASSWORD, v.auth.password.reveal(), "auth_pass")}`,
      ]),
    );
  if (v.unicast) {
    body.push(`unicast_src_ip ${safe(IPV4, v.unicast.srcIp, "unicast_src_ip")}`);
    body.push(
      ...block(
        "unicast_peer",
        v.unicast.peers.map((peer) => safe(IPV4, peer, "unicast_peer")),
      ),
    );
  }
  body.push(
    ...block(
      "virtual_ipaddress",
      v.virtualIps.map(
        (ip) => `${safe(IPV4, ip.address, "virtual_ipaddress")}/32 dev ${safe(INTERFACE, ip.dev, "dev")}`,
      ),
    ),
  );
  body.push(...renderInstanceHooks(v.hooks));
  return block(`vrrp_instance ${v.name}`, body);
}

export function renderHealthCheck(check: HealthCheck, port: number, overUdp = false): string[] {
  const common = [
    `connect_port ${port}`,
    `connect_timeout ${check.connectTimeoutSec}`,
    `retry ${check.retry}`,
    "delay_before_retry 1",
  ];
  if (check.kind === "tcp") return block(overUdp ? "UDP_CHECK" : "TCP_CHECK", common);
  return block("HTTP_GET", [
    ...block("url", [`path ${safe(HTTP_PATH, check.path, "url path")}`, `status_code ${check.statusCode}`]),
    ...common,
  ]);
}

export function renderRealServer(rs: RealServerConfig): string[] {
  return block(`real_server ${safe(IPV4, rs.address, "real_server")}`, [
    `weight ${rs.weight}`,
    ...renderHealthCheck(rs.check, rs.checkPort, rs.checkOverUdp),
  ]);
}

export function renderVirtualServer(vs: VirtualServerConfig): string[] {
  const body = [
    `delay_loop ${vs.delayLoopSec}`,
    `lb_algo ${safe(NAME, vs.scheduler, "lb_algo")}`,
    "lb_kind DR",
  ];
  if (vs.persistenceTimeoutSec) body.push(`persistence_timeout ${vs.persistenceTimeoutSec}`);
  for (const rs of vs.realServers) body.push(...renderRealServer(rs));
  const comment = `# service ${safe(NAME, vs.service, "service name")}: ${vs.summary}`;
  // The summary is built from checked values (VIP, protocol, ports) but is free text: one line only.
  if ([...comment].some(isControlChar))
    throw new Error(`keepalived.conf: control character in ${JSON.stringify(comment)}`);
  return [comment, ...block(`virtual_server fwmark ${vs.fwmark}`, body)];
}

/** lvsplay's whole keepalived file, ending with a newline. */
export function renderKeepalivedConf(
  cfg: KeepalivedConfig,
  opts: GlobalDefsOptions = ALL_GLOBAL_DEFS,
): string {
  const sections = [
    renderHeader(cfg),
    renderGlobalDefs(cfg, opts),
    ...renderVrrpScripts(cfg.vrrp.hooks),
    renderDrainTrackFile(cfg.vrrp),
    renderVrrpInstance(cfg.vrrp),
    ...cfg.virtualServers.map(renderVirtualServer),
  ].filter((s) => s.length > 0);
  return `${sections.map((s) => s.join("\n")).join("\n\n")}\n`;
}
