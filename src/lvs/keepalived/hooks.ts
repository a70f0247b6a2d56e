// Failover hooks as one director gets them: the common hooks of lvs.vrrp with
// the director's own (per_director) over them, and the names and files they
// put into keepalived's configuration.
import type { NotifyEvent, VrrpHooks, VrrpSettings } from "../../inventory/model.js";

/** lvsplay's vrrp_script names are prefixed: they share keepalived's one namespace with the host's. */
export const vrrpScriptName = (name: string): string => `lvsplay_${name}`;

/** keepalived's keyword per notify event. */
export const NOTIFY_KEYWORDS: Readonly<Record<NotifyEvent, string>> = {
  master: "notify_master",
  backup: "notify_backup",
  fault: "notify_fault",
  stop: "notify_stop",
  all: "notify",
};

/** The director's effective hooks: notify merges by event, a list of its own replaces the common list. */
export function hooksFor(vrrp: Pick<VrrpSettings, "hooks" | "hooksByDirector">, director: string): VrrpHooks {
  const own = vrrp.hooksByDirector[director] ?? {};
  return {
    notify: { ...vrrp.hooks.notify, ...own.notify },
    trackInterfaces: own.trackInterfaces ?? vrrp.hooks.trackInterfaces,
    trackScripts: own.trackScripts ?? vrrp.hooks.trackScripts,
  };
}

export const hasHooks = (h: VrrpHooks): boolean =>
  Object.keys(h.notify).length > 0 || h.trackInterfaces.length > 0 || h.trackScripts.length > 0;

/** Whether keepalived will run scripts for these hooks (track_interface runs none). */
export const runsScripts = (h: VrrpHooks): boolean =>
  Object.keys(h.notify).length > 0 || h.trackScripts.length > 0;

/** Every executable the hooks name (the command's first word), with what names it. */
export function hookExecutables(h: VrrpHooks): { readonly path: string; readonly what: string }[] {
  const out: { path: string; what: string }[] = [];
  for (const [event, command] of Object.entries(h.notify))
    if (command) out.push({ path: command.split(" ")[0]!, what: `notify.${event}` });
  for (const s of h.trackScripts)
    out.push({ path: s.command.split(" ")[0]!, what: `track script ${s.name}` });
  return out;
}
