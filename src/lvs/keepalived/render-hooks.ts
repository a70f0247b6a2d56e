// keepalived text for a director's failover hooks: vrrp_script blocks (before
// the instance), and track_interface / track_script / notify_* lines inside it.
// Every hook runs as root, named on its line: keepalived then needs no global
// script_user, and with enable_script_security (lvsplay adds it when the host's
// configuration does not) it runs only files root alone can change.
import { assertCharset, INTERFACE, NAME, SCRIPT_COMMAND } from "../../config/charsets.js";
import type { NotifyEvent, VrrpHooks } from "../../inventory/model.js";
import { NOTIFY_KEYWORDS, vrrpScriptName } from "./hooks.js";

const block = (header: string, body: readonly string[]): string[] => [
  `${header} {`,
  ...body.map((l) => `    ${l}`),
  "}",
];

const command = (value: string, what: string): string =>
  `"${assertCharset(SCRIPT_COMMAND, value, `keepalived.conf: ${what}`)}"`;

/** One `vrrp_script lvsplay_NAME { … }` per track script. */
export function renderVrrpScripts(h: VrrpHooks): string[][] {
  return h.trackScripts.map((s) => {
    const name = vrrpScriptName(assertCharset(NAME, s.name, "keepalived.conf: track script name"));
    return block(`vrrp_script ${name}`, [
      `script ${command(s.command, `track script ${s.name}`)}`,
      `interval ${s.intervalSec}`,
      ...(s.timeoutSec === undefined ? [] : [`timeout ${s.timeoutSec}`]),
      ...(s.weight === undefined ? [] : [`weight ${s.weight}`]),
      ...(s.rise === undefined ? [] : [`rise ${s.rise}`]),
      ...(s.fall === undefined ? [] : [`fall ${s.fall}`]),
      "user root",
    ]);
  });
}

const EVENTS: readonly NotifyEvent[] = ["master", "backup", "fault", "stop", "all"];

/** The instance's track_interface and track_script blocks and notify lines. */
export function renderInstanceHooks(h: VrrpHooks): string[] {
  const lines: string[] = [];
  if (h.trackInterfaces.length > 0)
    lines.push(
      ...block(
        "track_interface",
        h.trackInterfaces.map((t) => {
          const name = assertCharset(INTERFACE, t.name, "keepalived.conf: track_interface");
          return t.weight === undefined ? name : `${name} weight ${t.weight}`;
        }),
      ),
    );
  if (h.trackScripts.length > 0)
    lines.push(
      ...block(
        "track_script",
        h.trackScripts.map((s) => vrrpScriptName(s.name)),
      ),
    );
  for (const event of EVENTS) {
    const c = h.notify[event];
    if (c) lines.push(`${NOTIFY_KEYWORDS[event]} ${command(c, `notify.${event}`)} root`);
  }
  return lines;
}
