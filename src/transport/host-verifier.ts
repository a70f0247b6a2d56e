// Strict host key checking for ssh2: the verifier it calls during key exchange,
// plus a host key algorithm order that asks for the key type we already know
// (as OpenSSH does), so a host with several keys is not reported as changed.
import { appendKnownHostName, checkHostKeyFiles, knownHostsName, knownKeyTypesIn } from "./known-hosts.js";
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

/**
 * The name ssh looks up in known_hosts: HostKeyAlias as is, else the host it
 * connects to (ssh_config's HostName, lower-cased) with `[…]:port` for a port
 * other than 22. Never the resolved IP address (OpenSSH's CheckHostIP is off by
 * default), and for a tunnelled host its own name, not the jump host's.
 */
export function hostKeyLookupName(target: {
  readonly address: string;
  readonly port: number;
  readonly hostKeyAlias?: string;
}): { readonly name: string; readonly portless?: string } {
  if (target.hostKeyAlias !== undefined) return { name: target.hostKeyAlias };
  const host = target.address.toLowerCase();
  const name = knownHostsName(host, target.port);
  // ssh accepts a key recorded without the port when none is recorded with it
  // ("checking without port identifier"): only an exact key match, never a mismatch.
  return name === host ? { name } : { name, portless: host };
}

export interface HostVerifierOptions {
  /** Who is connected, for messages: "host ds1 (10.0.0.5:22)". */
  readonly who: string;
  /** The known_hosts name (hostKeyLookupName). */
  readonly lookupName: string;
  /** For a port other than 22: the name without it, accepted on an exact key match only. */
  readonly portlessName?: string;
  /** Checked together; accepted new keys go to the first. */
  readonly knownHostsFiles: readonly string[];
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
  const { who, lookupName: name, knownHostsFiles: files } = options;
  const first = files[0];
  const fileList = files.join(", ");
  let refusal: string | undefined;

  const verify = (keyBlob: Buffer): boolean => {
    try {
      const keyType = keyTypeOfBlob(keyBlob);
      const presented = `${keyType} ${fingerprintSha256(keyBlob)}`;
      let result = checkHostKeyFiles(files, name, keyType, keyBlob);
      if (result.status === "unknown" && options.portlessName !== undefined) {
        const portless = checkHostKeyFiles(files, options.portlessName, keyType, keyBlob);
        if (portless.status === "match") result = portless;
      }
      switch (result.status) {
        case "match":
          return true;
        case "revoked":
          refusal = `${who} presented the host key ${presented}, which ${result.file ?? first} line ${result.line} marks @revoked`;
          return false;
        case "mismatch": {
          const known = result.known
            .map((k) => `${k.keyType} ${k.fingerprint} (${k.file ?? first} line ${k.line})`)
            .join(", ");
          const file = result.known[0]?.file ?? first;
          refusal =
            `HOST KEY MISMATCH for ${who}: the server presented ${presented}, but known_hosts has ${known} ` +
            `for ${name}. This could be a man-in-the-middle attack; if the key changed legitimately, ` +
            `remove the old entry with: ssh-keygen -R '${name}' -f ${file}`;
          return false;
        }
        case "unknown":
          if (options.acceptNew && first !== undefined) {
            appendKnownHostName(first, name, { keyType, keyBlob });
            return true;
          }
          refusal =
            `${who} is not in ${fileList} as ${name} (the server presented ${presented}); add its key to ` +
            "that file (check the fingerprint first) or explicitly allow accepting new host keys";
          return false;
      }
    } catch (error) {
      refusal = `cannot check the host key of ${who} against ${fileList}: ${(error as Error).message}`;
      return false;
    }
  };

  // Read before connecting: a known_hosts that cannot be read (a FIFO, a
  // device, too big) fails this host before any packet is sent to it.
  let known: string[];
  try {
    known = knownKeyTypesIn(files, name);
  } catch (error) {
    throw new Error(`cannot check host keys against ${fileList}: ${(error as Error).message}`);
  }
  const preferred = known.flatMap(algorithmsForKeyType).filter((a) => SUPPORTED.has(a));
  const serverHostKeyAlgorithms = [...new Set([...preferred, ...HOST_KEY_ALGORITHMS])];
  return { verify, refusal: () => refusal, serverHostKeyAlgorithms };
}
