// Runs a command with its own /etc/hosts: a bind mount in a private mount
// namespace (unshare), so the system resolver (getaddrinfo, nsswitch "files")
// answers names the test chose, while the machine's /etc/hosts and every other
// process, parallel tests included, never see them. Nothing outlives the command.
import { writeFileSync } from "node:fs";

/** argv that runs `argv` with `hostsFile` as its /etc/hosts (needs root). */
export function withPrivateHosts(hostsFile: string, argv: readonly string[]): string[] {
  return [
    "unshare",
    "--mount",
    "--propagation",
    "private",
    "sh",
    "-c",
    'mount --bind "$0" /etc/hosts && exec "$@"',
    hostsFile,
    ...argv,
  ];
}

/** Writes a hosts(5) file: localhost plus `entries` (address → names), one line each. */
export function writeHostsFile(file: string, entries: readonly (readonly [string, string])[]): string {
  const lines = ["127.0.0.1 localhost", ...entries.map(([address, names]) => `${address} ${names}`)];
  writeFileSync(file, `${lines.join("\n")}\n`);
  return file;
}
