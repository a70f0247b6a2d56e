import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { startSshd } from "../support/sshd.js";

describe("test sshd helper", () => {
  it("starts an sshd that OpenSSH's client can log into with strict host key checking, and stops it", async () => {
    const sshd = await startSshd();
    try {
      const out = execFileSync(
        "ssh",
        [
          "-p",
          String(sshd.port),
          "-i",
          sshd.keyFile,
          "-o",
          "BatchMode=yes",
          "-o",
          "StrictHostKeyChecking=yes",
          "-o",
          `UserKnownHostsFile=${sshd.knownHostsFile}`,
          "-o",
          "GlobalKnownHostsFile=/dev/null",
          `root@${sshd.address}`,
          "echo",
          "hello",
        ],
        { encoding: "utf8" },
      );
      expect(out).toBe("hello\n");
    } finally {
      await sshd.stop();
    }
    expect(existsSync(sshd.dir)).toBe(false);
    expect(() => process.kill(sshd.pid, 0)).toThrow();
  });
});
