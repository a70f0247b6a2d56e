// `ipvsadm -Ln` plus `ipvsadm -L --daemon` through the ipvs fact's parser, and
// the verify check that judges the sync daemons connection_sync relies on.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseIpvsadm } from "../../src/facts/ipvs.js";
import { syncDaemonCheck } from "../../src/operations/lvs/verify-keepalived.js";

const TABLE = readFileSync(
  fileURLToPath(new URL("../operations/fixtures/captures/ipvs/ds1-fwm1.txt", import.meta.url)),
  "utf8",
);
// ipvsadm 1.31's `-L --daemon` lines, as keepalived's lvs_sync_daemon leaves them.
const MASTER = "master sync daemon (mcast=eth1, syncid=51)\n";
const BACKUP = "backup sync daemon (mcast=eth1, syncid=51)\n";

describe("ipvs fact: sync daemons", () => {
  it("reads none, master, backup or both after the table, the table unchanged", () => {
    const plain = parseIpvsadm(TABLE);
    expect(plain.syncDaemons).toEqual({ master: false, backup: false });
    expect(parseIpvsadm(TABLE + MASTER).syncDaemons).toEqual({ master: true, backup: false });
    expect(parseIpvsadm(TABLE + BACKUP).syncDaemons).toEqual({ master: false, backup: true });
    expect(parseIpvsadm(TABLE + MASTER + BACKUP).syncDaemons).toEqual({ master: true, backup: true });
    expect(parseIpvsadm(TABLE + MASTER).services).toEqual(plain.services);
  });

  it("no IPVS: no daemons", () => {
    expect(parseIpvsadm("NOIPVS\n")).toEqual({
      available: false,
      services: [],
      syncDaemons: { master: false, backup: false },
    });
  });
});

describe("verify: IPVS sync daemon (connection_sync)", () => {
  it("passes the master daemon on the VIP holder and the backup daemon elsewhere", () => {
    expect(syncDaemonCheck(parseIpvsadm(TABLE + MASTER), true)).toEqual({
      name: "IPVS sync daemon",
      status: "pass",
      detail: "master (holds the VIP)",
    });
    expect(syncDaemonCheck(parseIpvsadm(TABLE + BACKUP), false).status).toBe("pass");
  });

  it("reads the master's message size (maxlen=) and fails one other than connection_sync_maxlen", () => {
    // ipvsadm 1.31's line, as captured on the lab's directors.
    const master =
      "master sync daemon (mcast=eth1, syncid=51, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)\n";
    const ipvs = parseIpvsadm(TABLE + master);
    expect(ipvs.syncDaemons).toEqual({ master: true, backup: false, masterMaxlen: 1472 });
    expect(syncDaemonCheck(ipvs, true)).toEqual({
      name: "IPVS sync daemon",
      status: "pass",
      detail: "master (holds the VIP, messages of up to 1472 bytes)",
    });
    expect(syncDaemonCheck(ipvs, true, 1472).status).toBe("pass");
    expect(syncDaemonCheck(ipvs, true, 64)).toEqual({
      name: "IPVS sync daemon",
      status: "fail",
      detail:
        "master (holds the VIP) sends messages of up to 1472 bytes, connection_sync_maxlen is 64: restart keepalived to start it anew",
    });
    // A backup's size is the kernel's receive buffer (at least 1024): not compared.
    const backup = parseIpvsadm(
      `${TABLE}backup sync daemon (mcast=eth1, syncid=51, maxlen=1472, group=224.0.0.81, port=8848)\n`,
    );
    expect(syncDaemonCheck(backup, false, 64).status).toBe("pass");
  });

  it("fails a backup daemon on the holder, a master elsewhere, none, or both", () => {
    expect(syncDaemonCheck(parseIpvsadm(TABLE + BACKUP), true)).toEqual({
      name: "IPVS sync daemon",
      status: "fail",
      detail: "backup running, want master (holds the VIP): is keepalived's lvs_sync_daemon in effect?",
    });
    expect(syncDaemonCheck(parseIpvsadm(TABLE + MASTER), false).status).toBe("fail");
    expect(syncDaemonCheck(parseIpvsadm(TABLE), false).detail).toMatch(/^none running, want backup/);
    expect(syncDaemonCheck(parseIpvsadm(TABLE + MASTER + BACKUP), true).detail).toMatch(
      /^master and backup running/,
    );
  });
});
