// Counting how often the same client SYN crosses between directors, from a
// tcpdump capture taken inside a lab host. "The same SYN" = same source
// address/port, TCP sequence number AND IP id: a TCP retransmission gets a new
// IP id (Linux bumps it per packet), while IPVS forwarding keeps the id and only
// decrements the TTL — so only a forwarded copy counts as a repeat.
import { type GuestLab, inHost, inHostOk, pollUntil, SETTLE_LIMIT_MS } from "./guest-lab.js";

export interface SynFrame {
  readonly time: string;
  readonly srcMac: string;
  readonly dstMac: string;
  readonly ttl: number;
  readonly ipId: number;
  readonly src: string;
  readonly srcPort: number;
  readonly dst: string;
  readonly dstPort: number;
  readonly seq: string;
}

const HEADER =
  /^(\S+) ([0-9a-f]{2}(?::[0-9a-f]{2}){5}) > ([0-9a-f]{2}(?::[0-9a-f]{2}){5}), ethertype IPv4 .*?\bttl (\d+), id (\d+),/;
const TCP_LINE = /^\s+(\d+\.\d+\.\d+\.\d+)\.(\d+) > (\d+\.\d+\.\d+\.\d+)\.(\d+): Flags \[S\],.*?\bseq (\d+),/;

/** Parses `tcpdump -nn -e -v -S` text (two lines per packet); lines of other packets are skipped. */
export function parseSynFrames(text: string): SynFrame[] {
  const frames: SynFrame[] = [];
  const lines = text.split("\n");
  for (let i = 0; i + 1 < lines.length; i++) {
    const h = HEADER.exec(lines[i] ?? "");
    if (!h) continue;
    const t = TCP_LINE.exec(lines[i + 1] ?? "");
    if (!t) continue;
    frames.push({
      time: h[1]!,
      srcMac: h[2]!,
      dstMac: h[3]!,
      ttl: Number(h[4]),
      ipId: Number(h[5]),
      src: t[1]!,
      srcPort: Number(t[2]),
      dst: t[3]!,
      dstPort: Number(t[4]),
      seq: t[5]!,
    });
    i++;
  }
  return frames;
}

export const synKey = (f: SynFrame): string => `${f.src}:${f.srcPort} seq ${f.seq} id ${f.ipId}`;

export interface CrossingCount {
  /** SYN frames in the capture. */
  readonly frames: number;
  /** Frames sent from one director's MAC to another director's MAC. */
  readonly betweenDirectors: number;
  /** The most often a single SYN crossed between directors (0 when none did). */
  readonly max: number;
  readonly maxKey: string | undefined;
  /** SYNs that crossed between directors more than once. */
  readonly repeated: number;
}

export function countDirectorCrossings(frames: readonly SynFrame[], directorMacs: readonly string[]) {
  const macs = new Set(directorMacs.map((m) => m.toLowerCase()));
  const counts = new Map<string, number>();
  let betweenDirectors = 0;
  for (const f of frames) {
    if (!macs.has(f.srcMac) || !macs.has(f.dstMac)) continue;
    betweenDirectors++;
    counts.set(synKey(f), (counts.get(synKey(f)) ?? 0) + 1);
  }
  let max = 0;
  let maxKey: string | undefined;
  for (const [key, n] of counts)
    if (n > max) {
      max = n;
      maxKey = key;
    }
  const repeated = [...counts.values()].filter((n) => n > 1).length;
  const result: CrossingCount = { frames: frames.length, betweenDirectors, max, maxKey, repeated };
  return result;
}

/** A few capture lines of one SYN (the first `head` and the last `tail` copies), one line per frame. */
export function excerptOf(frames: readonly SynFrame[], key: string, head = 6, tail = 2): string {
  const mine = frames.filter((f) => synKey(f) === key);
  const line = (f: SynFrame) =>
    `${f.time} ${f.srcMac} > ${f.dstMac} ttl ${f.ttl} id ${f.ipId} ${f.src}.${f.srcPort} > ${f.dst}.${f.dstPort} [S] seq ${f.seq}`;
  if (mine.length <= head + tail) return mine.map(line).join("\n");
  return [
    ...mine.slice(0, head).map(line),
    `   … ${mine.length - head - tail} more copies of the same SYN …`,
    ...mine.slice(-tail).map(line),
  ].join("\n");
}

export interface RunningCapture {
  readonly host: string;
  readonly iface: string;
  readonly pcap: string;
  readonly pid: number;
}

/** Starts tcpdump in `host` for client SYNs to vip:port; resolves once it is listening. */
export async function startSynCapture(
  lab: GuestLab,
  host: string,
  vip: string,
  port: number,
  iface = "eth1",
): Promise<RunningCapture> {
  const pcap = `/tmp/lvsplay-dp-${iface}.pcap`;
  const filter = `tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn and dst host ${vip} and dst port ${port}`;
  // Backgrounded with its pid recorded, so the test stops exactly this process.
  const script = 'rm -f "$1"; tcpdump -i "$2" -nn -U -w "$1" "$3" >"$1.log" 2>&1 </dev/null & echo $!';
  const out = await inHostOk(lab, host, ["sh", "-c", script, "sh", pcap, iface, filter]);
  const pid = Number(out.trim());
  if (!Number.isInteger(pid) || pid <= 1) throw new Error(`${host}: tcpdump did not start: ${out}`);
  await pollUntil(
    `tcpdump listening in ${host}`,
    async () => {
      const log = await inHost(lab, host, ["cat", `${pcap}.log`]);
      return /listening on/.test(log.stdout) ? true : undefined;
    },
    { timeoutMs: SETTLE_LIMIT_MS, intervalMs: 500 },
  );
  return { host, iface, pcap, pid };
}

/** Stops the capture (SIGINT, by PID), reads it back as text and removes its files. */
export async function stopSynCapture(lab: GuestLab, cap: RunningCapture): Promise<string> {
  await inHost(lab, cap.host, ["kill", "-INT", String(cap.pid)]);
  await pollUntil(
    `tcpdump ${cap.pid} in ${cap.host} exits`,
    async () =>
      (await inHost(lab, cap.host, ["kill", "-0", String(cap.pid)])).code !== 0 ? true : undefined,
    { timeoutMs: SETTLE_LIMIT_MS, intervalMs: 300 },
  );
  const text = await inHostOk(lab, cap.host, ["tcpdump", "-r", cap.pcap, "-nn", "-e", "-v", "-S"]);
  await inHost(lab, cap.host, ["rm", "-f", cap.pcap, `${cap.pcap}.log`]);
  return text;
}
