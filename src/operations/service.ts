// `service`: start/stop/reload/restart a service on systemd and non-systemd hosts.
// `reloaded`/`restarted` always act (they are meant for handlers); a reload of a
// stopped service starts it instead.
import { z } from "zod";
import { factRequest, type Operation, unchanged } from "../engine/types.js";
import { type ServiceFact, serviceFact } from "../facts/service.js";

const ServiceArgs = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9@._-]+$/, "a service name"),
  state: z.enum(["started", "stopped", "reloaded", "restarted"]),
});
export type ServiceArgs = z.infer<typeof ServiceArgs>;

type Verb = "start" | "stop" | "reload" | "restart";

export function serviceArgv(fact: ServiceFact, name: string, verb: Verb): string[] {
  return fact.manager === "systemd" ? ["systemctl", verb, name] : ["service", name, verb];
}

export const serviceOperation: Operation<ServiceArgs> = {
  name: "service",
  description: "ensure a service is started/stopped, or reload/restart it (handlers)",
  parseArgs: (raw) => ServiceArgs.parse(raw),
  facts: ({ args }) => [factRequest(serviceFact, args.name)],
  plan: ({ args, facts }) => {
    const fact = facts.get(factRequest(serviceFact, args.name));
    let verb: Verb;
    switch (args.state) {
      case "started":
        if (fact.running) return unchanged(`${args.name} is running`);
        verb = "start";
        break;
      case "stopped":
        if (!fact.running) return unchanged(`${args.name} is stopped`);
        verb = "stop";
        break;
      case "reloaded":
        verb = fact.running ? "reload" : "start";
        break;
      case "restarted":
        verb = fact.running ? "restart" : "start";
        break;
    }
    return {
      changes: [
        {
          kind: "command",
          summary: `${verb} ${args.name} (${fact.manager})`,
          command: { argv: serviceArgv(fact, args.name, verb), become: true, timeoutSec: 60 },
          before: fact.running ? "running" : "stopped",
          after: verb === "stop" ? "stopped" : "running",
        },
      ],
    };
  },
};
