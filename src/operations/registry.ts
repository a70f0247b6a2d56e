// Every operation a playbook may name. The playbook loader checks names against this.
import type { Operation } from "../engine/types.js";
import { commandOperation } from "./command.js";
import { fileOperation } from "./file.js";
import { serviceOperation } from "./service.js";

export type OperationRegistry = ReadonlyMap<string, Operation<unknown>>;

export function buildRegistry(extra: readonly Operation<never>[] = []): OperationRegistry {
  const ops = [
    fileOperation,
    commandOperation,
    serviceOperation,
    ...extra,
  ] as unknown as Operation<unknown>[];
  const map = new Map<string, Operation<unknown>>();
  for (const op of ops) {
    if (map.has(op.name)) throw new Error(`operation ${op.name} registered twice`);
    map.set(op.name, op);
  }
  return map;
}
