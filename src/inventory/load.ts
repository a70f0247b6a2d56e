// Inventory loading: YAML (with positions) → schema → semantic rules →
// normalised Inventory. Every stage collects all its problems; the first stage
// with problems throws one ConfigError listing them, sorted by position.
import { resolve } from "node:path";
import { ConfigError, formatPath, type Problem } from "../config/problem.js";
import { readConfigFile } from "../config/read-file.js";
import { parseYaml, problemAt } from "../config/yaml-source.js";
import { parseOptions, zodErrorToProblems } from "../config/zod-problems.js";
import type { Inventory } from "./model.js";
import { normaliseInventory } from "./normalise.js";
import { checkInventoryRules } from "./rules.js";
import { inventorySchema } from "./schema.js";

/**
 * Parses inventory YAML. `file` is used in messages as given and, resolved to
 * an absolute path, as the base for relative key paths.
 */
export const parseInventory = (source: string, file: string): Inventory => {
  const parsed = parseYaml(source, file);
  if (parsed.problems.length > 0) throw new ConfigError(parsed.problems);
  const result = inventorySchema.safeParse(parsed.data, parseOptions);
  if (!result.success)
    throw new ConfigError(zodErrorToProblems(parsed.source, result.error, inventorySchema));
  const ruleProblems: Problem[] = checkInventoryRules(result.data).map((p) =>
    problemAt(parsed.source, p.path, formatPath(p.path), p.message, p.target),
  );
  if (ruleProblems.length > 0) throw new ConfigError(ruleProblems);
  return normaliseInventory(result.data, resolve(file));
};

/** Reads and parses an inventory file; a missing or unreadable file is a ConfigError at 1:1 too. */
export const loadInventory = (file: string): Inventory => parseInventory(readConfigFile(file), file);
