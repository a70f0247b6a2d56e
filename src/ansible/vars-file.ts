// YAML as Ansible writes it: plain YAML plus `!vault` (encrypted values) and
// `!unsafe` tags. A vault value is kept as a marker: it is a secret, and the
// importer reports it instead of copying ciphertext into another file.
import { parse, type ScalarTag } from "yaml";
import { AnsibleInventoryError } from "./source.js";

/** An `!vault` value (its ciphertext is not kept). */
export class VaultValue {
  toJSON(): string {
    return "<vault-encrypted>";
  }
}

const vault: ScalarTag = {
  tag: "!vault",
  resolve: () => new VaultValue(),
};
const unsafe: ScalarTag = {
  tag: "!unsafe",
  resolve: (text: string) => text,
};

export function parseVarsYaml(text: string, file: string): unknown {
  try {
    // YAML 1.1 like PyYAML: `yes`/`no` are booleans in Ansible files.
    return parse(text, { version: "1.1", customTags: [vault, unsafe], uniqueKeys: false });
  } catch (error) {
    throw new AnsibleInventoryError(`${file}: ${(error as Error).message}`);
  }
}

export function isMapping(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof VaultValue)
  );
}
