// Inventory loading: YAML (with positions) → schema → semantic rules →
// normalised Inventory (with ssh_config applied). Every stage collects all its
// problems; the first stage with problems throws one ConfigError listing them,
// sorted by position.
import { dirname, resolve } from "node:path";
import { ConfigError, formatPath, type Problem } from "../config/problem.js";
import { readConfigFile } from "../config/read-file.js";
import { type KeyPath, parseYaml, problemAt } from "../config/yaml-source.js";
import { parseOptions, zodErrorToProblems } from "../config/zod-problems.js";
import {
  type LoadedSshConfig,
  loadSshConfig,
  type SshConfigChoice,
  SshConfigError,
} from "../transport/ssh-config.js";
import type { HostConnection, Inventory } from "./model.js";
import { normaliseInventory } from "./normalise.js";
import { checkInventoryRules } from "./rules.js";
import { inventorySchema } from "./schema.js";
import { resolveSecrets, type SecretSources, systemSecretSources } from "./secrets.js";
import { connectionOf, resolveUserPath } from "./ssh-settings.js";

export interface LoadOptions {
  /**
   * ssh_config to read (the CLI's -F): wins over the inventory's `ssh_config:`
   * key, which wins over OpenSSH's default files.
   */
  readonly sshConfig?: SshConfigChoice;
  /** Where passwords named by password_env / password_file are read (the process by default). */
  readonly secretSources?: SecretSources;
}

/**
 * Parses inventory YAML. `file` is used in messages as given and, resolved to
 * an absolute path, as the base for relative key paths.
 */
export const parseInventory = (source: string, file: string, options: LoadOptions = {}): Inventory => {
  const parsed = parseYaml(source, file);
  if (parsed.problems.length > 0) throw new ConfigError(parsed.problems);
  const result = inventorySchema.safeParse(parsed.data, parseOptions);
  if (!result.success)
    throw new ConfigError(zodErrorToProblems(parsed.source, result.error, inventorySchema));
  const at = (path: KeyPath, message: string): Problem =>
    problemAt(parsed.source, path, formatPath(path), message);
  const ruleProblems: Problem[] = checkInventoryRules(result.data).map((p) =>
    problemAt(parsed.source, p.path, formatPath(p.path), p.message, p.target),
  );
  if (ruleProblems.length > 0) throw new ConfigError(ruleProblems);

  const absolute = resolve(file);
  const baseDir = dirname(absolute);
  const raw = result.data;
  // Passwords from the environment and from files: read once, here, before any host is contacted.
  const secrets = resolveSecrets(raw, baseDir, options.secretSources ?? systemSecretSources());
  if (secrets.problems.length > 0)
    throw new ConfigError(
      secrets.problems.map((p) => problemAt(parsed.source, p.path, formatPath(p.path), p.message, p.target)),
    );
  let sshConfig: LoadedSshConfig;
  const choice: SshConfigChoice =
    options.sshConfig ??
    (raw.ssh_config === undefined
      ? { kind: "default" }
      : raw.ssh_config === "none"
        ? { kind: "none" }
        : { kind: "file", file: resolveUserPath(raw.ssh_config, baseDir) });
  try {
    sshConfig = loadSshConfig(choice);
  } catch (error) {
    if (!(error instanceof SshConfigError) || options.sshConfig || raw.ssh_config === undefined) throw error;
    throw new ConfigError([at(["ssh_config"], error.message)]);
  }
  const problems: Problem[] = [];
  const connections = new Map<string, HostConnection>();
  for (const [name, host] of Object.entries(raw.hosts)) {
    try {
      connections.set(name, connectionOf(name, host, raw.defaults ?? {}, { sshConfig, baseDir }));
    } catch (error) {
      if (!(error instanceof SshConfigError)) throw error;
      problems.push(at(["hosts", name], error.message));
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return normaliseInventory(
    raw,
    absolute,
    (name) => {
      const connection = connections.get(name);
      if (!connection) throw new Error(`no connection computed for host ${name}`);
      const password = secrets.secrets.become.get(name);
      return password ? { ...connection, become: { ...connection.become, password } } : connection;
    },
    secrets.secrets,
  );
};

/** Reads and parses an inventory file; a missing or unreadable file is a ConfigError at 1:1 too. */
export const loadInventory = (file: string, options: LoadOptions = {}): Inventory =>
  parseInventory(readConfigFile(file), file, options);
