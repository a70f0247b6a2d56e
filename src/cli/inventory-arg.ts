// The inventory a command works on: the argument, else $LVSPLAY_INVENTORY (so a
// control node with one fleet can run `lvsplay audit` alone).
import { UsageError } from "../errors.js";

export const INVENTORY_ENV = "LVSPLAY_INVENTORY";

export function inventoryArg(given: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (given !== undefined) return given;
  const fromEnv = env[INVENTORY_ENV];
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  throw new UsageError(`no inventory given: name one, or set ${INVENTORY_ENV}`);
}
