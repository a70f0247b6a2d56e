// Small helpers for SSH public key blobs (the wire format: string type, then key data).
import { createHash } from "node:crypto";

/** The key type recorded at the start of an SSH public key blob, e.g. "ssh-ed25519". */
export function keyTypeOfBlob(blob: Buffer): string {
  if (blob.length < 4) throw new Error("SSH key blob too short");
  const len = blob.readUInt32BE(0);
  if (len === 0 || 4 + len > blob.length) throw new Error("malformed SSH key blob");
  return blob.subarray(4, 4 + len).toString("latin1");
}

/** OpenSSH-style fingerprint: `SHA256:` + unpadded base64 of the blob's SHA-256. */
export function fingerprintSha256(blob: Buffer): string {
  const digest = createHash("sha256").update(blob).digest("base64");
  return `SHA256:${digest.replace(/=+$/, "")}`;
}

/**
 * Host key algorithms ssh2 may negotiate for a key type found in known_hosts.
 * RSA keys are signed with rsa-sha2-* but are stored as "ssh-rsa".
 */
export function algorithmsForKeyType(keyType: string): string[] {
  if (keyType === "ssh-rsa") return ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"];
  return [keyType];
}
