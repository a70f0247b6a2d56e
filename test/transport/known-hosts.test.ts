import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  appendKnownHost,
  checkHostKey,
  hostFieldMatches,
  knownHostsName,
  knownKeyTypes,
  parseKnownHosts,
} from "../../src/transport/known-hosts.js";
import { fingerprintSha256, keyTypeOfBlob } from "../../src/transport/ssh-key.js";

interface Key {
  readonly type: string;
  readonly base64: string;
  readonly blob: Buffer;
  readonly fingerprint: string;
}

let dir: string;
let keyA: Key;
let keyB: Key;
let keyEcdsa: Key;

function makeKey(name: string, type: string): Key {
  const file = join(dir, name);
  execFileSync("ssh-keygen", ["-q", "-t", type, "-N", "", "-f", file], { stdio: "ignore" });
  const [keyType, base64] = readFileSync(`${file}.pub`, "utf8").trim().split(" ");
  const fingerprint = execFileSync("ssh-keygen", ["-l", "-E", "sha256", "-f", `${file}.pub`], {
    encoding: "utf8",
  });
  return {
    type: keyType!,
    base64: base64!,
    blob: Buffer.from(base64!, "base64"),
    fingerprint: fingerprint.split(" ")[1]!,
  };
}

function writeFile(name: string, lines: string[]): string {
  const file = join(dir, name);
  writeFileSync(file, `${lines.join("\n")}\n`);
  return file;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "lvsplay-kh-"));
  keyA = makeKey("a", "ed25519");
  keyB = makeKey("b", "ed25519");
  keyEcdsa = makeKey("c", "ecdsa");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("ssh key helpers", () => {
  it("reads the key type from the blob and fingerprints like ssh-keygen -l", () => {
    expect(keyTypeOfBlob(keyA.blob)).toBe("ssh-ed25519");
    expect(keyTypeOfBlob(keyEcdsa.blob)).toBe("ecdsa-sha2-nistp256");
    expect(fingerprintSha256(keyA.blob)).toBe(keyA.fingerprint);
  });
});

describe("known_hosts parsing and matching", () => {
  it("matches plain names, [host]:port entries and comma lists", () => {
    const file = writeFile("plain", [
      "# a comment",
      "",
      `lb1.example ${keyA.type} ${keyA.base64} comment here`,
      `[10.0.0.5]:2222 ${keyA.type} ${keyA.base64}`,
      `web1,10.0.0.7,[10.0.0.8]:2200 ${keyB.type} ${keyB.base64}`,
    ]);
    expect(checkHostKey(file, "lb1.example", 22, keyA.type, keyA.blob)).toEqual({ status: "match", line: 3 });
    expect(checkHostKey(file, "LB1.EXAMPLE", 22, keyA.type, keyA.blob).status).toBe("match");
    expect(checkHostKey(file, "10.0.0.5", 2222, keyA.type, keyA.blob).status).toBe("match");
    // Port 22 entries are not used for other ports and vice versa (OpenSSH semantics).
    expect(checkHostKey(file, "10.0.0.5", 22, keyA.type, keyA.blob).status).toBe("unknown");
    expect(checkHostKey(file, "lb1.example", 2222, keyA.type, keyA.blob).status).toBe("unknown");
    expect(checkHostKey(file, "10.0.0.7", 22, keyB.type, keyB.blob).status).toBe("match");
    expect(checkHostKey(file, "10.0.0.8", 2200, keyB.type, keyB.blob).status).toBe("match");
    expect(checkHostKey(file, "web2", 22, keyB.type, keyB.blob).status).toBe("unknown");
  });

  it("reports a mismatch with the known key's fingerprint and line", () => {
    const file = writeFile("mismatch", [`lb1 ${keyA.type} ${keyA.base64}`]);
    expect(checkHostKey(file, "lb1", 22, keyB.type, keyB.blob)).toEqual({
      status: "mismatch",
      known: [{ keyType: keyA.type, fingerprint: keyA.fingerprint, line: 1 }],
    });
    // A known key of another type still means "this host has a different key".
    expect(checkHostKey(file, "lb1", 22, keyEcdsa.type, keyEcdsa.blob).status).toBe("mismatch");
  });

  it("accepts any of several keys for one host", () => {
    const file = writeFile("several", [
      `lb1 ${keyEcdsa.type} ${keyEcdsa.base64}`,
      `lb1 ${keyA.type} ${keyA.base64}`,
    ]);
    expect(checkHostKey(file, "lb1", 22, keyA.type, keyA.blob)).toEqual({ status: "match", line: 2 });
    expect(knownKeyTypes(file, "lb1", 22)).toEqual(["ecdsa-sha2-nistp256", "ssh-ed25519"]);
  });

  it("matches entries hashed by ssh-keygen -H", () => {
    const file = writeFile("hashed", [
      `lb1.example ${keyA.type} ${keyA.base64}`,
      `[127.0.0.9]:2222 ${keyB.type} ${keyB.base64}`,
    ]);
    execFileSync("ssh-keygen", ["-H", "-f", file], { stdio: "ignore" });
    const text = readFileSync(file, "utf8");
    expect(text).not.toContain("lb1.example");
    expect(text).toMatch(/^\|1\|/);
    expect(checkHostKey(file, "lb1.example", 22, keyA.type, keyA.blob).status).toBe("match");
    expect(checkHostKey(file, "127.0.0.9", 2222, keyB.type, keyB.blob).status).toBe("match");
    expect(checkHostKey(file, "127.0.0.9", 2222, keyA.type, keyA.blob).status).toBe("mismatch");
    expect(checkHostKey(file, "lb2.example", 22, keyA.type, keyA.blob).status).toBe("unknown");
  });

  it("refuses @revoked keys even when a plain entry also lists them", () => {
    const file = writeFile("revoked", [
      `lb1 ${keyA.type} ${keyA.base64}`,
      `@revoked * ${keyA.type} ${keyA.base64}`,
    ]);
    expect(checkHostKey(file, "lb1", 22, keyA.type, keyA.blob)).toEqual({ status: "revoked", line: 2 });
    expect(checkHostKey(file, "other", 22, keyA.type, keyA.blob).status).toBe("revoked");
  });

  it("never treats a @cert-authority key as the host's own key", () => {
    const file = writeFile("ca", [`@cert-authority *.example ${keyA.type} ${keyA.base64}`]);
    expect(checkHostKey(file, "lb1.example", 22, keyA.type, keyA.blob).status).toBe("unknown");
  });

  it("handles wildcards and negated patterns", () => {
    const entries = parseKnownHosts(`*.example,!bad.example ${keyA.type} ${keyA.base64}\n`);
    const hosts = entries[0]!.hosts;
    expect(hostFieldMatches(hosts, "lb1.example")).toBe(true);
    expect(hostFieldMatches(hosts, "bad.example")).toBe(false);
    expect(hostFieldMatches(hosts, "example")).toBe(false);
    expect(hostFieldMatches(parseKnownHosts(`lb? ${keyA.type} ${keyA.base64}`)[0]!.hosts, "lb7")).toBe(true);
  });

  it("skips malformed lines and unknown markers", () => {
    const entries = parseKnownHosts(
      ["garbage", `@weird lb1 ${keyA.type} ${keyA.base64}`, `  lb2 ${keyA.type} ${keyA.base64}`].join("\n"),
    );
    expect(entries.map((e) => e.line)).toEqual([3]);
  });

  it("treats a missing file as knowing no host", () => {
    expect(checkHostKey(join(dir, "missing"), "lb1", 22, keyA.type, keyA.blob).status).toBe("unknown");
  });
});

describe("appendKnownHost", () => {
  it("appends an entry that both we and ssh-keygen -F find, adding a missing newline", () => {
    const file = join(dir, "sub", "known_hosts");
    appendKnownHost(file, "10.1.1.1", 22, { keyType: keyA.type, keyBlob: keyA.blob });
    writeFileSync(file, readFileSync(file, "utf8").trimEnd()); // no trailing newline
    appendKnownHost(file, "10.1.1.2", 2222, { keyType: keyB.type, keyBlob: keyB.blob });
    expect(readFileSync(file, "utf8")).toBe(
      `10.1.1.1 ${keyA.type} ${keyA.base64}\n[10.1.1.2]:2222 ${keyB.type} ${keyB.base64}\n`,
    );
    expect(checkHostKey(file, "10.1.1.2", 2222, keyB.type, keyB.blob).status).toBe("match");
    const found = execFileSync("ssh-keygen", ["-F", "[10.1.1.2]:2222", "-f", file], { encoding: "utf8" });
    expect(found).toContain(keyB.base64);
  });

  it("can write hashed entries that OpenSSH understands", () => {
    const file = join(dir, "hashed_append");
    appendKnownHost(file, "10.1.1.3", 2222, { keyType: keyA.type, keyBlob: keyA.blob }, { hash: true });
    expect(readFileSync(file, "utf8")).not.toContain("10.1.1.3");
    expect(checkHostKey(file, "10.1.1.3", 2222, keyA.type, keyA.blob).status).toBe("match");
    const found = execFileSync("ssh-keygen", ["-F", knownHostsName("10.1.1.3", 2222), "-f", file], {
      encoding: "utf8",
    });
    expect(found).toContain(keyA.base64);
  });
});
