// Files lvsplay reads on this machine are regular files of bounded size, read
// without blocking (issue 14, item 9): an identity, known_hosts, ssh_config,
// the previous prom file or an Ansible inventory that names a FIFO, a device
// or a directory is refused at once with what it is, instead of hanging the run.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadAnsibleInventory } from "../../src/ansible/load.js";
import type { SshEndpoint } from "../../src/inventory/model.js";
import { readKnownHosts } from "../../src/transport/known-hosts.js";
import { planAuthentication } from "../../src/transport/ssh-auth.js";
import { loadSshConfig } from "../../src/transport/ssh-config.js";
import { FILE_LIMITS } from "../../src/util/read-regular-file.js";

let dir: string;
let fifo: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "lvsplay-localfiles-"));
  fifo = join(dir, "fifo");
  // mkfifo(1): node has no API for it.
  expect(spawnSync("mkfifo", [fifo]).status).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const endpoint = (identityFiles: string[]): SshEndpoint => ({
  address: "127.0.0.1",
  port: 22,
  user: "root",
  identityFiles,
  agent: false,
  knownHostsFiles: [],
  connectTimeoutSec: 1,
});

describe("local files are regular files of bounded size (nothing blocks)", () => {
  it("an identity that is a FIFO, a device, a directory or too big is skipped with what it is", () => {
    const big = join(dir, "big_key");
    writeFileSync(big, Buffer.alloc(FILE_LIMITS.identity + 1, 0x61));
    const started = Date.now();
    expect(() => planAuthentication(endpoint([fifo, "/dev/zero", dir, big]), {})).toThrow(
      new RegExp(
        [
          `cannot read identity file ${fifo}: a named pipe \\(FIFO\\), expected a regular file`,
          "cannot read identity file /dev/zero: a device, expected a regular file",
          `cannot read identity file ${dir}: a directory, expected a regular file`,
          `cannot read identity file ${big}: ${FILE_LIMITS.identity + 1} bytes, larger than the limit of 256 KiB`,
        ].join("; "),
      ),
    );
    // Bound: answered without waiting for a writer (a blocking read never returns).
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("known_hosts and ssh_config that are FIFOs are errors naming the file", () => {
    expect(() => readKnownHosts(fifo)).toThrow(
      `known_hosts ${fifo}: a named pipe (FIFO), expected a regular file`,
    );
    expect(() => loadSshConfig({ kind: "file", file: fifo })).toThrow(
      /a named pipe \(FIFO\), expected a regular file/,
    );
  });

  it("an Ansible inventory folder holding a FIFO is refused with its name", () => {
    const tree = join(dir, "ansible");
    mkdirSync(join(tree, "group_vars", "all"), { recursive: true });
    writeFileSync(join(tree, "hosts.ini"), "[web]\nweb1\n");
    const varsFifo = join(tree, "group_vars", "all", "vars.yml");
    expect(spawnSync("mkfifo", [varsFifo]).status).toBe(0);
    expect(() => loadAnsibleInventory(join(tree, "hosts.ini"))).toThrow(
      `cannot read ${varsFifo}: a named pipe (FIFO), expected a regular file`,
    );
    // A FIFO among the inventory files of a folder.
    rmSync(varsFifo);
    expect(spawnSync("mkfifo", [join(tree, "more.ini")]).status).toBe(0);
    expect(() => loadAnsibleInventory(tree)).toThrow(
      `cannot read ${join(tree, "more.ini")}: a named pipe (FIFO), expected a regular file`,
    );
  });
});
