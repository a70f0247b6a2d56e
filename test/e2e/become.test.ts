// `become` for real: a non-root login user inside a lab host (its /etc is
// private, so the user and sudoers exist only there) escalates with sudo.
// Passwordless sudo works; a password comes from the environment variable the
// inventory names; a wrong or missing password fails fast instead of hanging.
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { useE2eLab } from "./support/e2e-lab.js";
import { runLvsplay } from "./support/lvsplay-cli.js";

const lab = useE2eLab("become");
const HOME = "/var/lib/lvsplay-ops"; // /home is shared with the machine; /var is the host's own

async function addUser(sudoers: string, password?: string): Promise<void> {
  const key = readFileSync(path.join(lab.stateDir, "id_ed25519.pub"), "utf8");
  const script = [
    `id ops >/dev/null 2>&1 || useradd -m -d ${HOME} -s /bin/sh ops`,
    `mkdir -p ${HOME}/.ssh && printf '%s' "$1" > ${HOME}/.ssh/authorized_keys`,
    `chown -R ops: ${HOME} && chmod 700 ${HOME}/.ssh && chmod 600 ${HOME}/.ssh/authorized_keys`,
    `printf '%s\\n' "$2" > /etc/sudoers.d/lvsplay-ops && chmod 440 /etc/sudoers.d/lvsplay-ops`,
    password ? `echo "ops:$3" | chpasswd` : "true",
  ].join(" && ");
  await lab.read("ds1", ["sh", "-c", script, "sh", key, sudoers, password ?? ""]);
}

function inventoryAs(file: string, become: Record<string, unknown>): string {
  const inv = parse(readFileSync(lab.inventoryFile, "utf8"));
  const ds1 = inv.hosts.ds1;
  inv.hosts = { ds1: { address: ds1.address, user: "ops", become, groups: ["web"] } };
  delete inv.lvs;
  const out = path.join(lab.stateDir, file);
  writeFileSync(out, stringify(inv));
  return out;
}

function playbook(): string {
  const file = path.join(lab.stateDir, "become-pb.yaml");
  writeFileSync(
    file,
    [
      "name: become",
      "stages:",
      "  - name: root-owned file",
      "    hosts: web",
      "    tasks:",
      "      - name: write /etc/lvsplay-become",
      "        op: file",
      '        args: { path: /etc/lvsplay-become, content: "root wrote this\\n", mode: "0600" }',
      "",
    ].join("\n"),
  );
  return file;
}

describe("become via sudo", () => {
  it("passwordless sudo: a non-root login writes a root-owned file", async () => {
    await addUser("ops ALL=(ALL) NOPASSWD:ALL");
    const inv = inventoryAs("inv-nopasswd.yaml", { enabled: true });
    const run = await runLvsplay(["apply", inv, "--playbook", playbook(), "--json"]);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).recap.ds1.changed).toBe(1);
    expect(await lab.read("ds1", ["stat", "-c", "%U %a", "/etc/lvsplay-become"])).toBe("root 600\n");
  });

  it("sudo with a password from the environment; a wrong one fails fast without hanging", async () => {
    await lab.read("ds1", ["rm", "-f", "/etc/lvsplay-become"]);
    await addUser("ops ALL=(ALL) ALL", "s3cret-pw");
    const inv = inventoryAs("inv-passwd.yaml", { enabled: true, password_env: "LVSPLAY_TEST_SUDO" });

    const wrong = await runLvsplay(["apply", inv, "--playbook", playbook(), "--json"], 60_000, {
      LVSPLAY_TEST_SUDO: "not-it",
    });
    expect(wrong.code, wrong.stderr + wrong.stdout).toBe(3);
    expect(wrong.durationMs).toBeLessThan(30_000);
    expect((await lab.exec("ds1", ["test", "-e", "/etc/lvsplay-become"])).code).not.toBe(0);

    const right = await runLvsplay(["apply", inv, "--playbook", playbook(), "--json"], 60_000, {
      LVSPLAY_TEST_SUDO: "s3cret-pw",
    });
    expect(right.code, right.stderr).toBe(0);
    expect(await lab.read("ds1", ["stat", "-c", "%U %a", "/etc/lvsplay-become"])).toBe("root 600\n");
    expect(await lab.read("ds1", ["cat", "/etc/lvsplay-become"])).toBe("root wrote this\n");
  });

  it("sudo with a password from a file of mode 0600; a file others can read is refused before any host is contacted", async () => {
    await lab.read("ds1", ["rm", "-f", "/etc/lvsplay-become"]);
    await addUser("ops ALL=(ALL) ALL", "f1le-pw");
    const pwFile = path.join(lab.stateDir, "sudo-password");
    writeFileSync(pwFile, "f1le-pw\n", { mode: 0o644 });
    const inv = inventoryAs("inv-passwd-file.yaml", { enabled: true, password_file: pwFile });

    const loose = await runLvsplay(["apply", inv, "--playbook", playbook(), "--json"], 60_000);
    expect(loose.code).toBe(1);
    expect(loose.stderr).toContain(`hosts.ds1.become.password_file: ${pwFile} has mode 0644`);
    expect(loose.stderr).not.toContain("f1le-pw");

    chmodSync(pwFile, 0o600);
    const run = await runLvsplay(["apply", inv, "--playbook", playbook(), "--json"], 60_000);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).not.toContain("f1le-pw");
    expect(await lab.read("ds1", ["stat", "-c", "%U %a", "/etc/lvsplay-become"])).toBe("root 600\n");
  });

  it("a password for a NOPASSWD user never leaks into what the command reads", async () => {
    await lab.read("ds1", ["rm", "-f", "/etc/lvsplay-become"]);
    await addUser("ops ALL=(ALL) NOPASSWD:ALL");
    const inv = inventoryAs("inv-nopasswd-pw.yaml", { enabled: true, password_env: "LVSPLAY_TEST_SUDO" });
    const run = await runLvsplay(["apply", inv, "--playbook", playbook(), "--json"], 60_000, {
      LVSPLAY_TEST_SUDO: "must-not-leak",
    });
    expect(run.code, run.stderr).toBe(0);
    expect(await lab.read("ds1", ["cat", "/etc/lvsplay-become"])).toBe("root wrote this\n");
    expect(run.stdout).not.toContain("must-not-leak");
  });

  it("without sudo rights the host fails with sudo's own message, never a prompt", async () => {
    await lab.read("ds1", ["rm", "-f", "/etc/lvsplay-become", "/etc/sudoers.d/lvsplay-ops"]);
    const inv = inventoryAs("inv-norights.yaml", { enabled: true });
    const run = await runLvsplay(["apply", inv, "--playbook", playbook(), "--json"], 60_000);
    expect(run.code, run.stderr).toBe(3);
    expect(run.durationMs).toBeLessThan(30_000);
    const out = JSON.parse(run.stdout);
    const failed = out.results.find((r: { status: string }) => r.status === "failed");
    expect(failed?.error ?? "").toMatch(/sudo|password/i);
  });
});
