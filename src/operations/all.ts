// The registry every command uses: the generic operations plus the LVS ones.
import { lvsOperations } from "./lvs/index.js";
import { buildRegistry, type OperationRegistry } from "./registry.js";

export const defaultRegistry = (): OperationRegistry => buildRegistry(lvsOperations);
