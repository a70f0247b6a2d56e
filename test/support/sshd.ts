// Starts a real, private sshd for integration tests: its own config, host key,
// client key and known_hosts in a temp dir, listening on a random 127.0.0.N
// address. stop() kills only the processes this sshd started, by PID.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestSshd {
  readonly address: string;
  /** The second address (options.secondAddress), with the same port and host key. */
  readonly secondAddress?: string;
  readonly port: number;
  /** Private key authorised for root. */
  readonly keyFile: string;
  /** known_hosts holding this sshd's host key. */
  readonly knownHostsFile: string;
  /** The host key as in a .pub file: "ssh-ed25519 AAAA… comment". */
  readonly hostKeyPub: string;
  readonly hostKeyBlob: Buffer;
  /** As printed by `ssh-keygen -l -E sha256`: "SHA256:…". */
  readonly hostKeyFingerprint: string;
  readonly pid: number;
  /** Temp dir holding everything (for extra files a test needs). */
  readonly dir: string;
  /** PIDs of the per-connection sshd processes (direct children of the listener). */
  connectionPids(): number[];
  /**
   * SIGKILL every connection's process tree (sshd children first, then the
   * commands they run), as if the host died under its connections.
   */
  killConnections(): number;
  /** sshd's log (-e) so far. */
  log(): string;
  stop(): Promise<void>;
}

export interface TestSshdOptions {
  /** Write the known_hosts entry hashed (via `ssh-keygen -H`). */
  readonly hashKnownHosts?: boolean;
  /**
   * Bind-mount a clean home over /root inside a private mount namespace, so
   * this machine's /root/.bashrc (pyenv init, slow) is not run for each command.
   */
  readonly cleanRootHome?: boolean;
  /** More sshd_config lines (e.g. "AllowTcpForwarding no"). */
  readonly extraConfig?: readonly string[];
  /** Also listen on a second 127.0.0.N (same port): one machine under two addresses. */
  readonly secondAddress?: boolean;
}

export async function startSshd(options: TestSshdOptions = {}): Promise<TestSshd> {
  const dir = mkdtempSync(join(tmpdir(), "lvsplay-sshd-"));
  try {
    return await startIn(dir, options);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

async function startIn(dir: string, options: TestSshdOptions): Promise<TestSshd> {
  const hostKey = join(dir, "host_ed25519");
  const keyFile = join(dir, "client_ed25519");
  keygen(hostKey, "lvsplay-test-host");
  keygen(keyFile, "lvsplay-test-client");
  copyFileSync(`${keyFile}.pub`, join(dir, "authorized_keys"));
  const home = join(dir, "home");
  mkdirSync(home, { mode: 0o700 });
  copyFileSync("/usr/share/base-files/dot.bashrc", join(home, ".bashrc"));
  copyFileSync("/usr/share/base-files/dot.profile", join(home, ".profile"));
  mkdirSync("/run/sshd", { recursive: true, mode: 0o755 }); // privilege separation dir

  let lastError: Error | undefined;
  for (let attempt = 0; attempt < 5; attempt++) {
    const address = `127.0.0.${2 + Math.floor(Math.random() * 249)}`;
    const port = await freePort(address);
    const second = options.secondAddress
      ? `127.0.0.${2 + ((Number(address.split(".")[3]) + 100) % 249)}`
      : undefined;
    const config = join(dir, "sshd_config");
    writeFileSync(
      config,
      sshdConfig(dir, hostKey, address, port) +
        [...(second ? [`ListenAddress ${second}:${port}`] : []), ...(options.extraConfig ?? [])]
          .map((l) => `${l}\n`)
          .join(""),
    );
    try {
      const started = await launch(config, home, address, port, options.cleanRootHome ?? true);
      const hostKeyPub = readFileSync(`${hostKey}.pub`, "utf8").trim();
      const [keyType, keyBase64] = hostKeyPub.split(" ");
      const knownHostsFile = join(dir, "known_hosts");
      writeFileSync(
        knownHostsFile,
        [address, ...(second ? [second] : [])]
          .map((a) => `[${a}]:${port} ${keyType} ${keyBase64}\n`)
          .join(""),
      );
      if (options.hashKnownHosts) {
        execFileSync("ssh-keygen", ["-H", "-f", knownHostsFile], { stdio: "ignore" });
        rmSync(`${knownHostsFile}.old`, { force: true });
      }
      return {
        address,
        ...(second ? { secondAddress: second } : {}),
        port,
        keyFile,
        knownHostsFile,
        hostKeyPub,
        hostKeyBlob: Buffer.from(keyBase64 ?? "", "base64"),
        hostKeyFingerprint: fingerprint(`${hostKey}.pub`),
        pid: started.pid,
        dir,
        connectionPids: () => childPids(started.pid),
        killConnections: () => killTree(started.pid),
        log: started.log,
        stop: async () => {
          await stopProcess(started.child, started.pid);
          rmSync(dir, { recursive: true, force: true });
        },
      };
    } catch (error) {
      lastError = error as Error; // most likely a port race: try another address
    }
  }
  throw lastError ?? new Error("sshd did not start");
}

function keygen(file: string, comment: string): void {
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", file], {
    stdio: "ignore",
  });
}

function fingerprint(pubFile: string): string {
  const out = execFileSync("ssh-keygen", ["-l", "-E", "sha256", "-f", pubFile], { encoding: "utf8" });
  return out.split(" ")[1] ?? "";
}

function sshdConfig(dir: string, hostKey: string, address: string, port: number): string {
  return [
    `ListenAddress ${address}:${port}`,
    `HostKey ${hostKey}`,
    `PidFile ${join(dir, "sshd.pid")}`,
    `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
    "StrictModes no",
    "UsePAM no",
    "PermitRootLogin prohibit-password",
    "PubkeyAuthentication yes",
    "PasswordAuthentication no",
    "KbdInteractiveAuthentication no",
    "MaxSessions 10",
    "PrintMotd no",
    "UseDNS no",
    "LogLevel INFO",
    "",
  ].join("\n");
}

/** A port nobody listens on right now at `address` (a race remains; the caller retries). */
async function freePort(address: string): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, address, resolve);
  });
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface Launched {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly log: () => string;
}

async function launch(config: string, home: string, address: string, port: number, cleanHome: boolean) {
  const sshd = ["/usr/sbin/sshd", "-D", "-e", "-f", config];
  // Every test sshd is a host of its own for what lvsplay keeps under /run/lock
  // (the cluster lock): a private tmpfs there, so test files running side by
  // side on this machine never share a lock. unshare and sh both exec, so the
  // PID we get is sshd's own.
  const setup = [
    "mount -t tmpfs lvsplay-test-lock /run/lock",
    ...(cleanHome ? ['mount --bind "$0" /root'] : []),
    'exec "$@"',
  ].join(" && ");
  const [program, ...args] = [
    "unshare",
    "--mount",
    "--propagation",
    "private",
    "sh",
    "-c",
    setup,
    home,
    ...sshd,
  ];
  const child = spawn(program!, args, { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    log += chunk.toString();
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error("could not spawn sshd");
  const exited = new Promise<never>((_, reject) => {
    child.once("exit", (code) => reject(new Error(`sshd exited with ${code}: ${log}`)));
  });
  exited.catch(() => {});
  // Generous: on a busy machine sshd can take seconds to start; an sshd that
  // exits is reported at once through `exited`.
  const deadline = Date.now() + 60_000;
  try {
    while (!(await Promise.race([accepts(address, port), exited]))) {
      if (Date.now() > deadline)
        throw new Error(`sshd (pid ${pid}) still not listening on ${address}:${port} after 60 s: ${log}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } catch (error) {
    await stopProcess(child, pid);
    throw error;
  }
  return { child, pid, log: () => log } satisfies Launched;
}

function accepts(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

function childPids(pid: number): number[] {
  try {
    const out = execFileSync("pgrep", ["-P", String(pid)], { encoding: "utf8" });
    return out.split("\n").filter(Boolean).map(Number);
  } catch {
    return []; // pgrep exits 1 when there are none
  }
}

/** Descendants of `pid`, parents before their children. */
function descendantPids(pid: number): number[] {
  return childPids(pid).flatMap((child) => [child, ...descendantPids(child)]);
}

/** SIGKILL all descendants of `pid` (not `pid` itself), top-down so no parent outlives a child. */
function killTree(pid: number): number {
  const pids = descendantPids(pid);
  for (const target of pids) {
    try {
      process.kill(target, "SIGKILL");
    } catch {
      // already gone
    }
  }
  return pids.length;
}

/** Kill this sshd's own connection processes, then sshd itself, by PID only. */
async function stopProcess(child: ChildProcess, pid: number): Promise<void> {
  killTree(pid);
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 2000);
  await exited;
  clearTimeout(timer);
}
