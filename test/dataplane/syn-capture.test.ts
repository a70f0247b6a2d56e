// The capture arithmetic the data-plane tests rely on, checked against a real
// capture (ds2's eth1 under the naive layout, Debian 6.1 IPVS in QEMU).
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { tallyAnswers } from "./support/client-requests.js";
import { parseIpvsStats } from "./support/ipvs-stats.js";
import { countDirectorCrossings, excerptOf, parseSynFrames } from "./support/syn-capture.js";

const LOOP = readFileSync(
  fileURLToPath(new URL("./fixtures/naive-loop-capture.txt", import.meta.url)),
  "utf8",
);
const DS1 = "02:00:07:07:07:11";
const DS2 = "02:00:07:07:07:12";

describe("SYN capture parsing", () => {
  it("reads every frame of tcpdump -nn -e -v -S output", () => {
    const frames = parseSynFrames(LOOP);
    expect(frames).toHaveLength(66);
    expect(frames[0]).toEqual({
      time: "13:00:04.618822",
      srcMac: DS1,
      dstMac: DS2,
      ttl: 63,
      ipId: 29141,
      src: "7.7.7.50",
      srcPort: 39564,
      dst: "7.7.7.100",
      dstPort: 80,
      seq: "4224093373",
    });
  });

  it("counts the looping SYN 63 times between the directors, TTL 63 down to 1", () => {
    const frames = parseSynFrames(LOOP);
    const c = countDirectorCrossings(frames, [DS1, DS2]);
    expect(c.max).toBe(63);
    expect(c.maxKey).toBe("7.7.7.50:39614 seq 3733129544 id 40556");
    expect(c.repeated).toBe(1);
    const ttls = frames.filter((f) => f.ipId === 40556).map((f) => f.ttl);
    expect(ttls[0]).toBe(63);
    expect(ttls.at(-1)).toBe(1);
    // ds2 → rs3 is not a director crossing.
    expect(c.betweenDirectors).toBe(65);
    expect(excerptOf(frames, c.maxKey!)).toContain("… 55 more copies of the same SYN …");
  });

  it("does not take a TCP retransmission (new IP id) for a forwarded copy", () => {
    const first = LOOP.split("\n").slice(0, 2).join("\n");
    const retransmit = first.replace("id 29141", "id 29142").replace("13:00:04.618822", "13:00:05.650000");
    const c = countDirectorCrossings(parseSynFrames(`${first}\n${retransmit}\n`), [DS1, DS2]);
    expect(c.betweenDirectors).toBe(2);
    expect(c.max).toBe(1);
    expect(countDirectorCrossings(parseSynFrames(`${first}\n${first}\n`), [DS1, DS2]).max).toBe(2);
  });
});

describe("ipvsadm --stats and client answers", () => {
  it("parses services and real servers with their counters", () => {
    const text = `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes
  -> RemoteAddress:Port
TCP  7.7.7.100:80                       10      138       21     8511     1857
  -> 7.7.7.11:80                         3       96        3     5760      264
  -> 7.7.7.12:80                         3       18       18     1179     1593
FWM  2                                   0        0        0        0        0
  -> 7.7.7.13:0                          0     123K        0        0        0
`;
    const s = parseIpvsStats(text);
    expect(s.map((x) => x.id)).toEqual(["TCP 7.7.7.100:80", "FWM 2"]);
    expect(s[0]).toMatchObject({ conns: 10, inPkts: 138, outPkts: 21 });
    expect(s[0]?.reals.get("7.7.7.11")).toEqual({ conns: 3, inPkts: 96, outPkts: 3 });
    expect(s[1]?.reals.get("7.7.7.13")?.inPkts).toBe(123_000);
  });

  it("tallies answers by server and ignores failures", () => {
    const t = tallyAnswers(
      "OK ds1 40000 0.01\nOK rs3 40002 0.02\nFAIL 28 40004 2.001\nOK ds1 40006 0.01\n",
      4,
      10,
    );
    expect(t.answered).toBe(3);
    expect(Object.fromEntries(t.byServer)).toEqual({ ds1: 2, rs3: 1 });
    expect(t.failures).toEqual(["curl exit 28 (local port 40004, 2.001 s)"]);
  });
});
