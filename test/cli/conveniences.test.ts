// Small conveniences, through the real CLI: shell completion (the generated
// script sourced in real bash and zsh, asked for suggestions), the default
// inventory from $LVSPLAY_INVENTORY, and -v/-vv/--log-file against a real sshd
// with a secret that must never reach the terminal or the file.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSshd, type TestSshd } from "../support/sshd.js";

const CLI = path.resolve("bin/lvsplay.js");
const work = mkdtempSync(path.join(tmpdir(), "lvsplay-conv-"));
let sshd: TestSshd;

beforeAll(async () => {
  sshd = await startSshd();
});
afterAll(async () => {
  await sshd?.stop();
  rmSync(work, { recursive: true, force: true });
});

function lvsplay(args: string[], env: Record<string, string | undefined> = {}) {
  const full: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, NO_COLOR: "1", CI: "1", ...env }))
    if (v !== undefined) full[k] = v;
  return spawnSync(process.execPath, [CLI, ...args], {
    encoding: "utf8",
    env: full,
    cwd: work,
    timeout: 120_000,
  });
}

/** The completion script, generated once per shell by the CLI. */
const scripts = new Map<string, string>();
const script = (shell: string) => {
  const known = scripts.get(shell);
  if (known) return known;
  const run = lvsplay(["completion", shell]);
  expect(run.status, run.stderr).toBe(0);
  const file = path.join(work, `completion.${shell}`);
  writeFileSync(file, run.stdout);
  scripts.set(shell, file);
  return file;
};

/** What bash's completion offers for the words typed so far (the last one being completed). */
function bashSuggests(...typed: string[]): string[] {
  const file = script("bash");
  const words = typed.map((w) => `'${w}'`).join(" ");
  const run = spawnSync(
    "bash",
    [
      "--norc",
      "-c",
      `source "$0"; COMP_WORDS=(lvsplay ${words}); COMP_CWORD=${typed.length}; _lvsplay; printf '%s\\n' "\${COMPREPLY[@]}"`,
      file,
    ],
    { encoding: "utf8", cwd: work },
  );
  expect(run.status, run.stderr).toBe(0);
  return run.stdout.split("\n").filter(Boolean).sort();
}

describe("shell completion", { timeout: 120_000 }, () => {
  it("bash: commands, subcommands, options per command, files where files go", () => {
    expect(bashSuggests("a")).toEqual(["apply", "audit"]);
    expect(bashSuggests("")).toEqual(
      [
        "--help",
        "--version",
        "apply",
        "audit",
        "completion",
        "facts",
        "inventory",
        "lab",
        "probe",
        "validate",
      ].sort(),
    );
    expect(bashSuggests("apply", "--ch")).toEqual(["--check"]);
    expect(bashSuggests("audit", "--pr")).toEqual(["--print-systemd-units", "--progress", "--prom-file"]);
    expect(bashSuggests("lab", "")).toEqual(["down", "restart", "ssh", "status", "up", "vm"]);
    expect(bashSuggests("lab", "vm", "")).toEqual(["down", "exec", "up"]);
    expect(bashSuggests("inventory", "i")).toEqual(["import"]);
    expect(bashSuggests("completion", "")).toEqual(["bash", "zsh"]);
    writeFileSync(path.join(work, "site.yaml"), "hosts: {}\n");
    writeFileSync(path.join(work, "ssh_config"), "\n");
    expect(bashSuggests("apply", "si")).toEqual(["site.yaml"]);
    expect(bashSuggests("apply", "-F", "ssh_")).toEqual(["ssh_config"]);
    // A value is not a command word: after "--limit web" the options of apply still complete.
    expect(bashSuggests("apply", "--limit", "")).toEqual([]);
    expect(bashSuggests("apply", "--limit", "web", "--di")).toEqual(["--diff"]);
    expect(bashSuggests("facts", "-v", "--log")).toEqual(["--log-file"]);
  });

  it("the README's completion examples are what bash suggests", () => {
    const examples = [...readFileSync("README.md", "utf8").matchAll(/^\$ lvsplay (.*)<TAB> +→ +(.*)$/gm)];
    expect(examples.length).toBeGreaterThanOrEqual(3);
    for (const [, typed = "", offered = ""] of examples) {
      // "lab " ends in a space: the word being completed is empty.
      const words = typed.split(" ");
      expect(bashSuggests(...words), typed).toEqual(offered.split(" ").sort());
    }
  });

  it("zsh: the script loads in real zsh, registers lvsplay and suggests the same", () => {
    const file = script("zsh");
    const run = spawnSync(
      "zsh",
      [
        "-f",
        "-c",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: zsh parameter expansions, not a JS template
        'source "$0" && print -r -- "${_comps[lvsplay]}" && emulate ksh -c \'COMP_WORDS=(lvsplay audit --pr); COMP_CWORD=2; _lvsplay; print -l -- "${COMPREPLY[@]}"\'',
        file,
      ],
      { encoding: "utf8", cwd: work, env: { ...process.env, HOME: work } },
    );
    expect(run.status, run.stderr).toBe(0);
    const [registered, ...suggestions] = run.stdout.split("\n").filter(Boolean);
    expect(registered).toMatch(/_bash_complete.*_lvsplay|_lvsplay/);
    // zsh's compgen hands every candidate to zsh's matcher, which narrows them to "--pr…":
    // the candidates are audit's options, the three among them.
    expect(suggestions).toEqual(
      expect.arrayContaining(["--print-systemd-units", "--progress", "--prom-file"]),
    );
    expect(suggestions.every((s) => s.startsWith("-"))).toBe(true);
    expect(suggestions).toContain("--accept-new-host-keys");
  });

  it("an unknown shell is a usage error", () => {
    const run = lvsplay(["completion", "fish"]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("completion fish: expected one of bash, zsh");
  });
});

function writeInventory(name: string, extra = ""): string {
  const file = path.join(work, name);
  writeFileSync(
    file,
    [
      "ssh_config: none",
      "hosts:",
      "  a:",
      `    address: ${sshd.address}`,
      `    port: ${sshd.port}`,
      `    identity: ${sshd.keyFile}`,
      `    known_hosts: ${sshd.knownHostsFile}`,
      "    become: { enabled: false, password_env: LVSPLAY_TEST_SUDO }",
      "    groups: [web]",
      extra,
      "",
    ].join("\n"),
  );
  return file;
}

describe("$LVSPLAY_INVENTORY", () => {
  it("is the inventory when none is named; the argument wins; neither is a usage error", () => {
    const inv = writeInventory("env-inv.yaml");
    const fromEnv = lvsplay(["validate"], { LVSPLAY_INVENTORY: inv });
    expect(fromEnv.status, fromEnv.stderr).toBe(0);
    expect(fromEnv.stdout).toContain(`${inv}: 1 hosts`);
    const named = lvsplay(["validate", inv], { LVSPLAY_INVENTORY: path.join(work, "missing.yaml") });
    expect(named.status, named.stderr).toBe(0);
    const none = lvsplay(["validate"], { LVSPLAY_INVENTORY: undefined });
    expect(none.status).toBe(1);
    expect(none.stderr).toBe(
      "lvsplay: no inventory given: name one, or set LVSPLAY_INVENTORY; nothing was changed.\n",
    );
  });
});

// Several CLI runs against a real sshd per test: generous limits on a busy machine.
describe("-v, -vv and --log-file", { timeout: 300_000 }, () => {
  const SECRET = "hunter2-Secret";
  let inv: string;
  let playbook: string;
  beforeAll(() => {
    // The inventory variable holds the same text as the sudo password variable: the
    // command and its output both carry the secret, and neither may show it.
    inv = writeInventory("verbose-inv.yaml", `    vars: { greeting: "say ${SECRET}" }`);
    playbook = path.join(work, "echo.yaml");
    writeFileSync(
      playbook,
      [
        "name: echo",
        "stages:",
        "  - name: talk",
        "    hosts: web",
        "    tasks:",
        "      - name: echo the greeting",
        "        op: command",
        '        args: { argv: [echo, "{{ greeting }}"] }',
        "",
      ].join("\n"),
    );
  });

  it("-v shows each command sent, -vv also exit codes and output; secrets redacted", () => {
    const env = { LVSPLAY_TEST_SUDO: SECRET };
    const quiet = lvsplay(["apply", inv, "-p", playbook, "--plain"], env);
    expect(quiet.status, quiet.stderr).toBe(0);
    expect(quiet.stderr).not.toContain("[a] $");

    const v = lvsplay(["apply", inv, "-p", playbook, "--plain", "-v"], env);
    expect(v.status, v.stderr).toBe(0);
    expect(v.stderr).toMatch(/^\[a\] \$ echo 'say <redacted>'( {2}\(.*\))?$/m);
    expect(v.stderr).not.toMatch(/^\[a\] exit /m);

    const vv = lvsplay(["apply", inv, "-p", playbook, "--plain", "-vv"], env);
    expect(vv.status, vv.stderr).toBe(0);
    expect(vv.stderr).toMatch(/^\[a\] exit 0 in \d+ ms\n {2}stdout:\n {4}\| say <redacted>$/m);
    // Fact reads (the facts command's batch) are shown with their output too.
    const facts = lvsplay(["facts", inv, "-vv"], env);
    expect(facts.status, facts.stderr).toBe(0);
    expect(facts.stderr).toMatch(/^\[a\] \$ sh -c /m);
    expect(facts.stderr).toMatch(/ {2}\((?:[^)]*, )?read(?:, [^)]*)?\)$/m);
    expect(facts.stderr).toMatch(/^\[a\] exit 0 in \d+ ms\n {2}stdout:\n {4}\| /m);
    // The verbose lines (stderr) never show it. (The progress lines on stdout print task
    // results as before; the log file redacts them too, below.)
    for (const out of [v.stderr, vv.stderr, facts.stderr]) expect(out).not.toContain(SECRET);
  });

  it("--log-file appends timestamped progress and commands (private to the user), never a secret", () => {
    const log = path.join(work, "run.log");
    const env = { LVSPLAY_TEST_SUDO: SECRET };
    expect(lvsplay(["apply", inv, "-p", playbook, "--plain", "--log-file", log], env).status).toBe(0);
    expect(lvsplay(["facts", inv, "--log-file", log], env).status).toBe(0);
    const text = readFileSync(log, "utf8");
    expect(statSync(log).mode & 0o777).toBe(0o600);
    expect(text).not.toContain(SECRET);
    const lines = text.split("\n").filter(Boolean);
    expect(lines.every((l) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /.test(l))).toBe(true);
    expect(text).toMatch(/Z lvsplay apply .* \(pid \d+\)/);
    expect(text).toMatch(/Z PLAYBOOK echo/);
    expect(text).toMatch(/Z \[a\] \$ echo 'say <redacted>'/);
    expect(text).toMatch(/Z lvsplay facts .* \(pid \d+\)/);
    // Without -vv the file has the commands, not their output.
    expect(text).not.toMatch(/Z \[a\] exit /);
    const bad = lvsplay(["facts", inv, "--log-file", path.join(work, "no", "such", "dir.log")]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/--log-file .*no\/such\/dir\.log: ENOENT/);
  });
});
