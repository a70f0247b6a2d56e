// OpenSSH known_hosts parsing and strict host key checking. We implement the
// format ourselves because ssh2 does no host key checking at all; the rules
// follow sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT" and OpenSSH's hostfile.c.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { appendFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { FILE_LIMITS, FileReadError, readRegularFile } from "../util/read-regular-file.js";
import { fingerprintSha256 } from "./ssh-key.js";

/** known_hosts text; "" for a missing file. Anything but a regular file of bounded size is an error. */
function readKnownHostsText(file: string): string {
  try {
    return readRegularFile(file, FILE_LIMITS.knownHosts).toString("utf8");
  } catch (error) {
    if (error instanceof FileReadError) {
      if (error.code === "ENOENT") return "";
      throw new Error(`known_hosts ${file}: ${error.message}`);
    }
    throw error;
  }
}

export type KnownHostMarker = "revoked" | "cert-authority";

export type HostField =
  | { readonly kind: "patterns"; readonly patterns: readonly string[] }
  | { readonly kind: "hashed"; readonly salt: Buffer; readonly hash: Buffer };

export interface KnownHostEntry {
  /** 1-based line number, for messages. */
  readonly line: number;
  readonly marker?: KnownHostMarker;
  readonly hosts: HostField;
  readonly keyType: string;
  readonly keyBlob: Buffer;
}

export interface HostKey {
  readonly keyType: string;
  readonly keyBlob: Buffer;
}

export interface KnownKeyInfo {
  readonly keyType: string;
  readonly fingerprint: string;
  readonly line: number;
  /** The known_hosts file of the line, when several were checked. */
  readonly file?: string;
}

export type HostKeyCheck =
  | { readonly status: "match"; readonly line: number; readonly file?: string }
  | { readonly status: "mismatch"; readonly known: readonly KnownKeyInfo[] }
  | { readonly status: "unknown" }
  | { readonly status: "revoked"; readonly line: number; readonly file?: string };

/** The name OpenSSH looks up: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 || port === 0 ? host : `[${host}]:${port}`;
}

/** Parse known_hosts text. Malformed lines are skipped, like OpenSSH does. */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split("\n").forEach((raw, index) => {
    const fields = raw.trim().split(/\s+/);
    if (fields[0] === undefined || fields[0] === "" || fields[0].startsWith("#")) return;
    let marker: KnownHostMarker | undefined;
    if (fields[0].startsWith("@")) {
      const name = fields.shift();
      if (name === "@revoked") marker = "revoked";
      else if (name === "@cert-authority") marker = "cert-authority";
      else return; // unknown marker: OpenSSH ignores the line
    }
    const [hostText, keyType, keyBase64] = fields;
    if (hostText === undefined || keyType === undefined || keyBase64 === undefined) return;
    const hosts = parseHostField(hostText);
    if (hosts === undefined) return;
    const keyBlob = Buffer.from(keyBase64, "base64");
    if (keyBlob.length === 0) return;
    entries.push({ line: index + 1, ...(marker ? { marker } : {}), hosts, keyType, keyBlob });
  });
  return entries;
}

function parseHostField(text: string): HostField | undefined {
  if (text.startsWith("|1|")) {
    const [, , salt, hash] = text.split("|");
    if (salt === undefined || hash === undefined) return undefined;
    return { kind: "hashed", salt: Buffer.from(salt, "base64"), hash: Buffer.from(hash, "base64") };
  }
  return { kind: "patterns", patterns: text.split(",").filter((p) => p !== "") };
}

/** HMAC-SHA1 host name hash as written by `ssh-keygen -H`: `|1|salt|hash`. */
export function hashHostName(name: string, salt: Buffer = randomBytes(20)): string {
  const hash = createHmac("sha1", salt).update(name).digest();
  return `|1|${salt.toString("base64")}|${hash.toString("base64")}`;
}

/** Does this host field name `name` (already in `[host]:port` form when needed)? */
export function hostFieldMatches(field: HostField, name: string): boolean {
  if (field.kind === "hashed") {
    const actual = createHmac("sha1", field.salt).update(name).digest();
    return actual.length === field.hash.length && timingSafeEqual(actual, field.hash);
  }
  // OpenSSH match_hostname: a matching negated pattern wins over any positive one.
  const lower = name.toLowerCase();
  let matched = false;
  for (const pattern of field.patterns) {
    const negated = pattern.startsWith("!");
    const glob = (negated ? pattern.slice(1) : pattern).toLowerCase();
    if (globMatches(glob, lower)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

function globMatches(glob: string, text: string): boolean {
  const source = glob
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replaceAll("*", ".*")
    .replaceAll("?", ".");
  return new RegExp(`^${source}$`, "s").test(text);
}

/** Check a presented host key against already parsed entries. */
export function checkHostKeyIn(
  entries: readonly KnownHostEntry[],
  host: string,
  port: number,
  keyType: string,
  keyBlob: Buffer,
): HostKeyCheck {
  return checkNamedHostKey(
    entries.map((entry) => ({ entry })),
    knownHostsName(host, port),
    keyType,
    keyBlob,
  );
}

interface FileEntry {
  readonly entry: KnownHostEntry;
  readonly file?: string;
}

/** The check itself, for `name` as looked up (`host`, `[host]:port` or a HostKeyAlias). */
function checkNamedHostKey(
  entries: readonly FileEntry[],
  name: string,
  keyType: string,
  keyBlob: Buffer,
): HostKeyCheck {
  const forHost = entries.filter(({ entry }) => hostFieldMatches(entry.hosts, name));
  const sameKey = ({ entry: e }: FileEntry) => e.keyType === keyType && e.keyBlob.equals(keyBlob);
  const where = (f: FileEntry) => ({ line: f.entry.line, ...(f.file === undefined ? {} : { file: f.file }) });
  const revoked = forHost.find((e) => e.entry.marker === "revoked" && sameKey(e));
  if (revoked) return { status: "revoked", ...where(revoked) };
  // Host certificates (@cert-authority) are not supported by ssh2: such lines never match a plain key.
  const plain = forHost.filter((e) => e.entry.marker === undefined);
  const match = plain.find(sameKey);
  if (match) return { status: "match", ...where(match) };
  if (plain.length > 0) {
    const known = plain.map((e) => ({
      keyType: e.entry.keyType,
      fingerprint: fingerprintSha256(e.entry.keyBlob),
      ...where(e),
    }));
    return { status: "mismatch", known };
  }
  return { status: "unknown" };
}

/**
 * Check a presented key against several known_hosts files at once, as ssh does
 * with UserKnownHostsFile lists: a match in any file is a match, a key for the
 * name in any file that differs is a mismatch. `name` is already in lookup form.
 */
export function checkHostKeyFiles(
  files: readonly string[],
  name: string,
  keyType: string,
  keyBlob: Buffer,
): HostKeyCheck {
  const entries = files.flatMap((file) => readKnownHosts(file).map((entry) => ({ entry, file })));
  return checkNamedHostKey(entries, name, keyType, keyBlob);
}

/** Key types known for `name` (lookup form) over several files, in file order. */
export function knownKeyTypesIn(files: readonly string[], name: string): string[] {
  const types = files.flatMap((file) =>
    readKnownHosts(file)
      .filter((e) => e.marker === undefined && hostFieldMatches(e.hosts, name))
      .map((e) => e.keyType),
  );
  return [...new Set(types)];
}

/**
 * Parsed files, reused while their text is unchanged (compared in full: a
 * timestamp could miss a same-size rewrite): a fleet run checks every host
 * against the same file, and parsing it per host was a measurable cost.
 */
const parsed = new Map<string, { readonly text: string; readonly entries: KnownHostEntry[] }>();

/** Read known_hosts (a missing file has no entries). */
export function readKnownHosts(file: string): KnownHostEntry[] {
  const text = readKnownHostsText(file);
  const hit = parsed.get(file);
  if (hit?.text === text) return hit.entries;
  const entries = parseKnownHosts(text);
  parsed.set(file, { text, entries });
  return entries;
}

/** Check a presented host key against a known_hosts file. */
export function checkHostKey(
  file: string,
  host: string,
  port: number,
  keyType: string,
  keyBlob: Buffer,
): HostKeyCheck {
  return checkHostKeyIn(readKnownHosts(file), host, port, keyType, keyBlob);
}

/** Key types known for a host, in file order (to prefer them during key exchange). */
export function knownKeyTypes(file: string, host: string, port: number): string[] {
  const name = knownHostsName(host, port);
  const types = readKnownHosts(file)
    .filter((e) => e.marker === undefined && hostFieldMatches(e.hosts, name))
    .map((e) => e.keyType);
  return [...new Set(types)];
}

/** Append a host key. Only used when the user explicitly asked to accept new host keys. */
export function appendKnownHost(
  file: string,
  host: string,
  port: number,
  key: HostKey,
  options: { hash?: boolean } = {},
): void {
  appendKnownHostName(file, knownHostsName(host, port), key, options);
}

/** Append a host key under `name` (lookup form: `host`, `[host]:port` or a HostKeyAlias). */
export function appendKnownHostName(
  file: string,
  name: string,
  key: HostKey,
  options: { hash?: boolean } = {},
): void {
  const hostField = options.hash ? hashHostName(name) : name;
  const line = `${hostField} ${key.keyType} ${key.keyBlob.toString("base64")}\n`;
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const existing = readKnownHostsText(file);
  const separator = existing.length > 0 && !existing.endsWith("\n") ? "\n" : "";
  appendFileSync(file, separator + line, { mode: 0o600 });
}
