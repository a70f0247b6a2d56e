// Public key authentication the way OpenSSH does it: the agent's keys first
// (used by default when SSH_AUTH_SOCK is set), then each identity file in
// order. IdentitiesOnly limits the agent to the identity files' keys. An
// encrypted key is decrypted with the passphrase from the environment variable
// the inventory names; the passphrase itself never appears in the inventory.

import type {
  AgentAuthMethod,
  AuthHandlerMiddleware,
  IdentityCallback,
  NextAuthHandler,
  ParsedKey,
  PublicKeyAuthMethod,
} from "ssh2";
import ssh2 from "ssh2";
import type { SshEndpoint } from "../inventory/model.js";
import { FILE_LIMITS, FileReadError, readRegularFile } from "../util/read-regular-file.js";
import { UnreachableError } from "./types.js";

export interface AuthPlan {
  /** For ssh2's `authHandler`: each method once, in order. */
  readonly authHandler: AuthHandlerMiddleware;
  /** What will be offered, for messages: "agent /run/agent.sock, key ~/.ssh/id_ed25519". */
  readonly offered: string;
  /**
   * What was not offered and why: identity files (missing, encrypted without a
   * passphrase), an agent that could not be reached (noted during the handshake).
   */
  readonly skipped: readonly string[];
}

type Method = AgentAuthMethod | PublicKeyAuthMethod;

/**
 * The agent's keys, only those whose public blob is in `allowed` (IdentitiesOnly)
 * when given. An agent that cannot be reached (a stale SSH_AUTH_SOCK, a socket
 * we may not open) offers no keys, noted in `notes`, and authentication goes on
 * with the identity files, as with OpenSSH. ssh2 would report it as a
 * connection error instead, which node-ssh takes for a failed connect.
 */
class TolerantAgent extends ssh2.OpenSSHAgent {
  constructor(
    private readonly socket: string,
    private readonly allowed: ReadonlySet<string> | undefined,
    private readonly notes: string[],
  ) {
    super(socket);
  }

  override getIdentities(cb: IdentityCallback<ParsedKey>): void {
    super.getIdentities((err, keys) => {
      if (err) {
        this.notes.push(`agent ${this.socket} could not be reached (${err.message})`);
        cb(undefined, []);
        return;
      }
      const allowed = this.allowed;
      cb(
        undefined,
        allowed === undefined
          ? keys
          : keys?.filter((k) => "getPublicSSH" in k && allowed.has(k.getPublicSSH().toString("base64"))),
      );
    });
  }
}

interface LoadedKey {
  readonly file: string;
  readonly key: ParsedKey;
}

/**
 * Decide what to offer for `endpoint`. Throws UnreachableError when nothing can
 * be offered (no readable key, no agent) or a configured passphrase is wrong.
 */
export function planAuthentication(endpoint: SshEndpoint, env: NodeJS.ProcessEnv = process.env): AuthPlan {
  // As in OpenSSH, an empty SSH_AUTH_SOCK means no agent.
  const envSocket = env["SSH_AUTH_SOCK"] === "" ? undefined : env["SSH_AUTH_SOCK"];
  const socket = endpoint.agent === false ? undefined : (endpoint.agentSocket ?? envSocket);
  if (endpoint.agent === true && socket === undefined) {
    throw new UnreachableError("SSH agent requested but SSH_AUTH_SOCK is not set");
  }
  const skipped: string[] = [];
  const keys: LoadedKey[] = [];
  const publicBlobs = new Set<string>();
  for (const file of endpoint.identityFiles) {
    const loaded = loadIdentity(file, endpoint.identityPassphraseEnv, env, skipped);
    if (loaded) {
      keys.push(loaded);
      publicBlobs.add(loaded.key.getPublicSSH().toString("base64"));
    }
    // The .pub file lets IdentitiesOnly pick an encrypted key from the agent.
    const pub = readPublicBlob(`${file}.pub`);
    if (pub !== undefined) publicBlobs.add(pub);
  }
  const agent =
    socket === undefined
      ? undefined
      : endpoint.identitiesOnly
        ? publicBlobs.size > 0
          ? new TolerantAgent(socket, publicBlobs, skipped)
          : undefined
        : new TolerantAgent(socket, undefined, skipped);
  if (keys.length === 0 && agent === undefined) {
    const why = skipped.length > 0 ? skipped.join("; ") : "no identity file configured";
    const agentNote =
      socket === undefined
        ? "no SSH agent (SSH_AUTH_SOCK is not set)"
        : "the agent holds none of the identity files' keys (IdentitiesOnly)";
    throw new UnreachableError(`no key to authenticate with: ${why}; ${agentNote}`);
  }
  const username = endpoint.user;
  const methods: Method[] = [
    ...(agent === undefined ? [] : [{ type: "agent" as const, username, agent }]),
    ...keys.map(({ key }) => ({ type: "publickey" as const, username, key })),
  ];
  const offered = [
    ...(agent === undefined
      ? []
      : [`agent ${socket}${endpoint.identitiesOnly ? " (identity files' keys only)" : ""}`]),
    ...keys.map((k) => `key ${k.file}`),
  ].join(", ");
  return { authHandler: authHandlerOf(methods), offered, skipped };
}

/**
 * Each method once, in order; straight to them (ssh2 otherwise opens with a
 * "none" attempt: one more round trip and server auth pass per connection).
 * Returning false tells ssh2 that nothing is left to try.
 */
function authHandlerOf(methods: readonly Method[]): AuthHandlerMiddleware {
  let next = 0;
  const handler = (_left: unknown, _partial: boolean, callback: NextAuthHandler): false | undefined => {
    const method = methods[next++];
    if (method === undefined) return false;
    callback(method);
    return undefined;
  };
  return handler;
}

function loadIdentity(
  file: string,
  passphraseEnv: string | undefined,
  env: NodeJS.ProcessEnv,
  skipped: string[],
): LoadedKey | undefined {
  let data: Buffer;
  try {
    // A regular file of bounded size: a FIFO here would block the run forever.
    data = readRegularFile(file, FILE_LIMITS.identity);
  } catch (error) {
    const code = error instanceof FileReadError ? error.code : (error as NodeJS.ErrnoException).code;
    const why = error instanceof FileReadError ? error.message : String(code);
    skipped.push(
      code === "ENOENT"
        ? `identity file ${file} does not exist`
        : `cannot read identity file ${file}: ${why}`,
    );
    return undefined;
  }
  let parsed = ssh2.utils.parseKey(data);
  if (parsed instanceof Error && /encrypted|passphrase/i.test(parsed.message)) {
    if (passphraseEnv === undefined) {
      // The agent may well hold it: a note (in the error when nothing else works), not an error.
      skipped.push(`identity file ${file} is encrypted and no identity_passphrase_env is set`);
      return undefined;
    }
    const passphrase = env[passphraseEnv];
    if (passphrase === undefined) {
      throw new UnreachableError(
        `identity file ${file} is encrypted and environment variable ${passphraseEnv} (identity_passphrase_env) is not set`,
      );
    }
    parsed = ssh2.utils.parseKey(data, passphrase);
    if (parsed instanceof Error) {
      throw new UnreachableError(
        `cannot decrypt identity file ${file} with the passphrase in ${passphraseEnv}: ${parsed.message}`,
      );
    }
  }
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (key instanceof Error || key === undefined || !key.isPrivateKey()) {
    skipped.push(
      `identity file ${file} is not a private key${key instanceof Error ? ` (${key.message})` : ""}`,
    );
    return undefined;
  }
  return { file, key };
}

function readPublicBlob(file: string): string | undefined {
  try {
    const [, base64] = readRegularFile(file, FILE_LIMITS.publicKey).toString("utf8").trim().split(/\s+/);
    return base64 && base64.length > 0 ? base64 : undefined;
  } catch {
    return undefined;
  }
}
