// `lvsplay facts`: gather the LVS-relevant facts from every host and print them as JSON.
import { gatherFacts } from "../../engine/gather.js";
import { mapBounded } from "../../engine/limit.js";
import { type FactRequest, factRequest } from "../../engine/types.js";
import { firewalldFact } from "../../facts/firewalld.js";
import { iptablesFact } from "../../facts/iptables.js";
import { kernelFact } from "../../facts/kernel.js";
import { networkFact } from "../../facts/network.js";
import { osFact } from "../../facts/os.js";
import { SshConnector } from "../../transport/ssh.js";
import { errorMessage } from "../../util/error-message.js";
import { ExitCode } from "../exit-codes.js";
import { resolveLimit } from "../limit.js";
import { loadRunInventory, sshConfigChoice } from "../load-inputs.js";
import { openRunLog, type RunLogFlags } from "../run-log.js";

const HOST_FACTS = {
  os: factRequest(osFact),
  kernel: factRequest(kernelFact),
  network: factRequest(networkFact),
  iptables: factRequest(iptablesFact),
  firewalld: factRequest(firewalldFact),
};

export async function factsCommand(
  inventoryFile: string,
  flags: RunLogFlags & { limit?: string; forks: number; acceptNewHostKeys?: boolean; sshConfig?: string },
): Promise<ExitCode> {
  const inventory = await loadRunInventory(inventoryFile, sshConfigChoice(flags.sshConfig));
  const hosts = resolveLimit(inventory, flags.limit);
  const log = openRunLog(flags, inventory);
  const ssh = new SshConnector(inventory, {
    acceptNewHostKeys: flags.acceptNewHostKeys ?? false,
    defaultTimeoutSec: 120,
  });
  const connector = log.wrap(ssh);
  let failed = false;
  const out: Record<string, unknown> = {};
  await mapBounded([...hosts], flags.forks, async (host) => {
    try {
      const transport = await connector.connect(host.name);
      try {
        const facts = await gatherFacts(transport, Object.values(HOST_FACTS));
        const values: Record<string, unknown> = {};
        for (const [name, req] of Object.entries(HOST_FACTS)) {
          try {
            values[name] = facts.get(req as FactRequest<unknown>);
          } catch (error) {
            values[name] = { error: errorMessage(error) };
          }
        }
        out[host.name] = values;
      } finally {
        await transport.close();
      }
    } catch (error) {
      failed = true;
      out[host.name] = { unreachable: errorMessage(error) };
    }
  });
  await ssh.closeAll();
  log.close();
  const ordered = Object.fromEntries(hosts.map((h) => [h.name, out[h.name]]));
  process.stdout.write(`${JSON.stringify(ordered, null, 2)}\n`);
  return failed ? ExitCode.hostsFailed : ExitCode.ok;
}
