// Every real server (directors included) holds each VIP as /32 on lo, so it
// accepts packets a director forwards to it unchanged (DR). Applied live and
// persisted as a boot script run by a small systemd unit (or, on hosts without
// systemd, by whatever runs /etc/lvsplay/boot.d at boot — the lab does).
import { z } from "zod";
import { cause } from "../../engine/cause.js";
import { type Change, factRequest, type Operation, type Plan, unchanged } from "../../engine/types.js";
import { fileFact, sameMode } from "../../facts/file.js";
import { networkFact } from "../../facts/network.js";
import { symlinkFact } from "../../facts/symlink.js";
import { isRealServer, lvsOf } from "./shared.js";

const Args = z.strictObject({});

export const LO_VIP_SCRIPT = "/etc/lvsplay/boot.d/10-lo-vip";
export const BOOT_UNIT = "/etc/systemd/system/lvsplay-boot.service";
export const BOOT_UNIT_LINK = "/etc/systemd/system/multi-user.target.wants/lvsplay-boot.service";

export function loVipScript(vips: readonly string[]): string {
  return [
    "#!/bin/sh",
    "# Managed by lvsplay: LVS-DR VIPs on lo, re-applied at boot.",
    ...vips.map((v) => `ip addr replace ${v}/32 dev lo`),
    "",
  ].join("\n");
}

/** VIPs listed by a previous version of our script (so removed services are cleaned up). */
export const vipsInScript = (content: string | null): string[] =>
  [...(content ?? "").matchAll(/^ip addr replace (\d+\.\d+\.\d+\.\d+)\/32 dev lo$/gm)].map((m) => m[1]!);

export const BOOT_UNIT_CONTENT = [
  "# Managed by lvsplay: re-applies LVS-DR state (VIPs on lo) at boot.",
  "[Unit]",
  "Description=lvsplay boot-time LVS-DR state",
  "After=network-pre.target",
  "Before=keepalived.service",
  "",
  "[Service]",
  "Type=oneshot",
  "RemainAfterExit=yes",
  'ExecStart=/bin/sh -c \'for f in /etc/lvsplay/boot.d/*; do [ -x "$f" ] && "$f"; done; exit 0\'',
  "",
  "[Install]",
  "WantedBy=multi-user.target",
  "",
].join("\n");

export const loVipOperation: Operation<z.infer<typeof Args>> = {
  name: "lvs.lo_vip",
  description: "hold every VIP as /32 on lo on real servers, live and across reboots",
  argsSchema: Args,
  parseArgs: (raw) => Args.parse(raw ?? {}),
  facts: ({ host }) =>
    isRealServer(host)
      ? [
          factRequest(networkFact),
          factRequest(fileFact, LO_VIP_SCRIPT),
          factRequest(fileFact, BOOT_UNIT),
          factRequest(symlinkFact, BOOT_UNIT_LINK),
        ]
      : [],
  plan: ({ host, inventory, facts }): Plan => {
    if (!isRealServer(host)) return { changes: [], skipped: "not a real server" };
    const vips = [...new Set(lvsOf(inventory).services.map((s) => s.vip))];
    const lo = facts.get(factRequest(networkFact)).interfaces.find((i) => i.name === "lo");
    const onLo = new Set(lo?.ipv4 ?? []);
    const script = facts.get(factRequest(fileFact, LO_VIP_SCRIPT));
    const changes: Change[] = [];
    for (const vip of vips) {
      if (!onLo.has(`${vip}/32`)) {
        changes.push({
          kind: "command",
          cause: cause("vip-on-lo-live", `${vip}/32`),
          summary: `add VIP ${vip}/32 to lo`,
          command: {
            argv: ["ip", "addr", "replace", `${vip}/32`, "dev", "lo"],
            become: true,
            timeoutSec: 30,
          },
          before: `lo: ${[...onLo].join(", ") || "(no IPv4)"}`,
          after: `lo: + ${vip}/32`,
        });
      }
    }
    for (const old of vipsInScript(script.content)) {
      if (!vips.includes(old) && onLo.has(`${old}/32`)) {
        changes.push({
          kind: "command",
          cause: cause("vip-on-lo-stale", `${old}/32`),
          summary: `remove VIP ${old}/32 from lo (no longer a service)`,
          command: { argv: ["ip", "addr", "del", `${old}/32`, "dev", "lo"], become: true, timeoutSec: 30 },
        });
      }
    }
    const content = loVipScript(vips);
    if (script.content !== content || !sameMode("0755", script.mode)) {
      changes.push({
        kind: "file",
        cause: cause("vip-on-lo-boot"),
        summary: `write ${LO_VIP_SCRIPT}`,
        path: LO_VIP_SCRIPT,
        before: script.content,
        after: content,
        mode: "0755",
      });
    }
    const unit = facts.get(factRequest(fileFact, BOOT_UNIT));
    if (unit.content !== BOOT_UNIT_CONTENT || !sameMode("0644", unit.mode)) {
      changes.push({
        kind: "file",
        cause: cause("vip-on-lo-boot"),
        summary: `write ${BOOT_UNIT}`,
        path: BOOT_UNIT,
        before: unit.content,
        after: BOOT_UNIT_CONTENT,
        mode: "0644",
      });
    }
    if (facts.get(factRequest(symlinkFact, BOOT_UNIT_LINK)) !== BOOT_UNIT) {
      // Enabling by symlink works without a running systemd (containers, the lab).
      changes.push({
        kind: "command",
        cause: cause("vip-on-lo-boot"),
        summary: "enable lvsplay-boot.service",
        command: {
          argv: [
            "sh",
            "-c",
            'mkdir -p "$(dirname "$2")" && ln -sfn "$1" "$2"',
            "lvsplay-enable",
            BOOT_UNIT,
            BOOT_UNIT_LINK,
          ],
          become: true,
          timeoutSec: 30,
        },
      });
    }
    return changes.length > 0 ? { changes } : unchanged(`VIP(s) ${vips.join(", ")} on lo, persisted`);
  },
};
