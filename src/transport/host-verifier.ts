// Strict host key checking for ssh2: the verifier it calls during key exchange,
// plus a host key algorithm order that asks for the key type we already know
// (as OpenSSH does), so a host with several keys is not reported as changed.
import { appendKnownHost, checkHostKey, knownHostsName, knownKeyTypes } from "./known-hosts.js";
import { algorithmsForKeyType, fingerprintSha256, keyTypeOfBlob } from "./ssh-key.js";

/** ssh2's supported host key algorithms, strongest first (ssh-dss last, only if known). */
const HOST_KEY_ALGORITHMS = [
  "ssh-ed25519",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "rsa-sha2-512",
  "rsa-sha2-256",
  "ssh-rsa",
];
const SUPPORTED = new Set([...HOST_KEY_ALGORITHMS, "ssh-dss"]);

export interface HostVerifierOptions {
  /** Inventory host name, for messages. */
  readonly hostName: string;
  /** Address/port looked up in known_hosts. */
  readonly address: string;
  readonly port: number;
  readonly knownHostsFile: string;
  readonly acceptNew: boolean;
}

export interface HostVerification {
  /** For ssh2's `hostVerifier` option (raw key blob in, accept/refuse out). */
  readonly verify: (keyBlob: Buffer) => boolean;
  /** Why the key was refused, once `verify` returned false. */
  readonly refusal: () => string | undefined;
  /** For ssh2's `algorithms.serverHostKey`. */
  readonly serverHostKeyAlgorithms: string[];
}

export function createHostVerification(options: HostVerifierOptions): HostVerification {
  const { address, port, knownHostsFile: file } = options;
  let refusal: string | undefined;
  const who = `host ${options.hostName} (${address}:${port})`;

  const verify = (keyBlob: Buffer): boolean => {
    try {
      const keyType = keyTypeOfBlob(keyBlob);
      const presented = `${keyType} ${fingerprintSha256(keyBlob)}`;
      const result = checkHostKey(file, address, port, keyType, keyBlob);
      switch (result.status) {
        case "match":
          return true;
        case "revoked":
          refusal = `${who} presented the host key ${presented}, which ${file} line ${result.line} marks @revoked`;
          return false;
        case "mismatch": {
          const known = result.known.map((k) => `${k.keyType} ${k.fingerprint} (line ${k.line})`).join(", ");
          refusal =
            `HOST KEY MISMATCH for ${who}: the server presented ${presented}, but ${file} has ${known}. ` +
            "This could be a man-in-the-middle attack; if the key changed legitimately, remove the old " +
            `entry with: ssh-keygen -R '${knownHostsName(address, port)}' -f ${file}`;
          return false;
        }
        case "unknown":
          if (options.acceptNew) {
            appendKnownHost(file, address, port, { keyType, keyBlob });
            return true;
          }
          refusal =
            `${who} is not in ${file} (the server presented ${presented}); add its key to that file ` +
            "(check the fingerprint first) or explicitly allow accepting new host keys";
          return false;
      }
    } catch (error) {
      refusal = `cannot check the host key of ${who} against ${file}: ${(error as Error).message}`;
      return false;
    }
  };

  const known = knownTypesOrEmpty(file, address, port);
  const preferred = known.flatMap(algorithmsForKeyType).filter((a) => SUPPORTED.has(a));
  const serverHostKeyAlgorithms = [...new Set([...preferred, ...HOST_KEY_ALGORITHMS])];
  return { verify, refusal: () => refusal, serverHostKeyAlgorithms };
}

function knownTypesOrEmpty(file: string, address: string, port: number): string[] {
  try {
    return knownKeyTypes(file, address, port);
  } catch {
    return []; // unreadable file: the verifier reports it with a proper message
  }
}
