// `service`: start/stop/reload/restart a service on systemd and non-systemd hosts.
// `reloaded`/`restarted` always act (they are meant for handlers); a reload of a
// stopped service starts it instead.
import { z } from "zod";
import { SERVICE_UNIT } from "../config/charsets.js";
import { inCharset } from "../config/validators.js";
import { type ChangeCauseKind, cause } from "../engine/cause.js";
import { type Change, factRequest, type Operation, type Plan } from "../engine/types.js";
import { type ServiceFact, serviceFact } from "../facts/service.js";
import type { Host } from "../inventory/model.js";
import { collectRefs } from "../playbook/template.js";

const ServiceArgs = z.strictObject({
  name: inCharset(SERVICE_UNIT),
  state: z.enum(["started", "stopped", "reloaded", "restarted"]),
  /** Also ensure the service starts (true) or does not start (false) at boot. */
  enabled: z.boolean().optional(),
});
export type ServiceArgs = z.infer<typeof ServiceArgs>;

type Verb = "start" | "stop" | "reload" | "restart";

/** Seconds a stop may take before a restart gives up (× the host's timeout_scale). */
export const STOP_WAIT_SEC = 10;

/**
 * sysv restart as stop, wait for the process to be gone (up to $2 s), start.
 * Init scripts' own `restart` (Debian's keepalived: stop, sleep 1, start) lose
 * the race against a daemon that takes longer than a second to exit: start
 * sees it still running, does nothing, and then nothing runs at all.
 */
const SYSV_RESTART =
  'service "$1" stop; i=0; n=$(( $2 * 10 )); while pgrep -x -- "$1" >/dev/null 2>&1 && [ "$i" -lt "$n" ]; do sleep 0.1; i=$((i+1)); done; ' +
  // Still there: starting now would "succeed" against the old process and keep the old config.
  'if pgrep -x -- "$1" >/dev/null 2>&1; then echo "$1 did not stop within $2 s: not restarted" >&2; exit 1; fi; service "$1" start';

/** STOP_WAIT_SEC for this host: a slow host (inventory timeout_scale) stops its daemons slowly too. */
export const stopWaitSec = (host: Host): number => STOP_WAIT_SEC * host.connection.timeoutScale;

export function serviceArgv(fact: ServiceFact, name: string, verb: Verb, stopWait = STOP_WAIT_SEC): string[] {
  if (fact.manager === "systemd") return ["systemctl", verb, name];
  return verb === "restart"
    ? ["sh", "-c", SYSV_RESTART, "lvsplay-restart", name, String(stopWait)]
    : ["service", name, verb];
}

/** A start repairs a stopped service, a stop a running one; reload/restart act for a handler. */
const VERB_CAUSE: Record<Verb, ChangeCauseKind> = {
  start: "service-stopped",
  stop: "service-running",
  reload: "service-reload",
  restart: "service-restart",
};

/** Younger than this (× the host's timeout_scale), a sysv daemon is restarted instead of reloaded (see plan). */
const RELOAD_MIN_AGE_SEC = 3;

/** `reloaded`/`restarted` always act (handlers); a reload of a stopped service starts it. */
function verbFor(state: ServiceArgs["state"], running: boolean): Verb | undefined {
  switch (state) {
    case "started":
      return running ? undefined : "start";
    case "stopped":
      return running ? "stop" : undefined;
    case "reloaded":
      return running ? "reload" : "start";
    case "restarted":
      return running ? "restart" : "start";
  }
}

function enableArgv(fact: ServiceFact, name: string, enable: boolean): string[] | undefined {
  if (fact.manager === "systemd") return ["systemctl", enable ? "enable" : "disable", name];
  if (fact.sysvEnabler === "update-rc.d") {
    // `enable` fails when the script has no rc links at all; `defaults` creates them first.
    return enable
      ? [
          "sh",
          "-c",
          'update-rc.d "$1" defaults >/dev/null 2>&1; update-rc.d "$1" enable',
          "lvsplay-enable",
          name,
        ]
      : ["update-rc.d", name, "disable"];
  }
  if (fact.sysvEnabler === "chkconfig") return ["chkconfig", name, enable ? "on" : "off"];
  return undefined;
}

/** What (re)started the service among these changes ("started", "restarted"), if anything did. */
function restartedSince(name: string, changes: readonly Change[] | undefined): string | undefined {
  let found: string | undefined;
  for (const c of changes ?? []) {
    if (c.kind !== "command" || c.cause.subject !== name) continue;
    if (c.cause.kind === "service-stopped") found = "started";
    else if (c.cause.kind === "service-restart") found = "restarted";
  }
  return found;
}

export const serviceOperation: Operation<ServiceArgs> = {
  name: "service",
  description: "ensure a service is started/stopped, or reload/restart it (handlers)",
  argsSchema: ServiceArgs,
  parseArgs: (raw) => ServiceArgs.parse(raw),
  mayCause: (raw) => {
    // Before templating the name may still be a `{{ var }}`: then no subject.
    const name = typeof raw === "object" && raw !== null && "name" in raw ? raw.name : undefined;
    const subject = typeof name === "string" && collectRefs(name).length === 0 ? name : undefined;
    return [...Object.values(VERB_CAUSE), "service-boot" as const].map((kind) => cause(kind, subject));
  },
  facts: ({ args }) => [factRequest(serviceFact, args.name)],
  plan: ({ host, args, facts, sinceNotified }): Plan => {
    const fact = facts.get(factRequest(serviceFact, args.name));
    const changes: Change[] = [];
    const notes: string[] = [];
    if (args.enabled !== undefined && args.enabled !== fact.enabled) {
      const argv = enableArgv(fact, args.name, args.enabled);
      if (!argv)
        return {
          changes: [],
          error: `no way to ${args.enabled ? "enable" : "disable"} ${args.name} at boot on this host`,
        };
      changes.push({
        kind: "command",
        cause: cause("service-boot", args.name),
        summary: `${args.enabled ? "enable" : "disable"} ${args.name} at boot`,
        command: { argv, become: true, timeoutSec: 60 },
        before: fact.enabled ? "enabled" : "disabled",
        after: args.enabled ? "enabled" : "disabled",
      });
    }
    let verb = verbFor(args.state, fact.running);
    // A handler whose work a later task of the stage already did: the service
    // was (re)started after the change that notified it, so it runs the new
    // configuration. One start on a first apply instead of start, restart, restart.
    const doneBy = (verb === "restart" || verb === "reload") && restartedSince(args.name, sinceNotified);
    if (doneBy) {
      notes.push(`${args.name}: ${doneBy} after the change that notified this handler: not ${verb}ed again`);
      return { changes, notes };
    }
    // A sysv daemon sent SIGHUP before it installed its handlers dies of it:
    // keepalived did, when the reload handler followed the restart handler.
    // Started moments ago, it is restarted instead (which covers a reload). A
    // slow host (timeout_scale) takes that much longer to get its handlers in place.
    if (
      verb === "reload" &&
      fact.manager === "sysv" &&
      fact.ageSec !== undefined &&
      fact.ageSec < RELOAD_MIN_AGE_SEC * host.connection.timeoutScale
    ) {
      verb = "restart";
      notes.push(`${args.name} started ${fact.ageSec} s ago: restarted instead of reloaded`);
    }
    if (verb) {
      changes.push({
        kind: "command",
        cause: cause(VERB_CAUSE[verb], args.name),
        summary: `${verb} ${args.name} (${fact.manager})`,
        command: {
          argv: serviceArgv(fact, args.name, verb, stopWaitSec(host)),
          become: true,
          timeoutSec: 60,
        },
        // A reload/restart changes no state worth a before/after: --diff shows the command.
        ...(verb === "start" || verb === "stop"
          ? { before: fact.running ? "running" : "stopped", after: verb === "stop" ? "stopped" : "running" }
          : {}),
      });
    } else notes.push(`${args.name} is ${fact.running ? "running" : "stopped"}`);
    return { changes, notes };
  },
};
