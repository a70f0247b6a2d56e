// Persisting our nftables table: our file (the same text `nft -f` applied
// live) included from the file nftables.service loads at boot. The include
// goes after the config's last `flush ruleset` (Debian's stock file starts
// with one): a boot or `systemctl restart nftables` then flushes everything
// and loads our table again, never the other way round. Every other line of
// the config is kept byte for byte.

export interface NftPersistPaths {
  /** The file nftables.service loads (`nft -f`). */
  readonly conf: string;
  /** Our table, included from conf. */
  readonly ours: string;
}

/** Where each distribution family's nftables.service reads its ruleset. */
export const NFT_PERSIST_PATHS: Readonly<Record<"debian" | "rhel", NftPersistPaths>> = {
  debian: { conf: "/etc/nftables.conf", ours: "/etc/nftables.d/lvsplay.nft" },
  rhel: { conf: "/etc/sysconfig/nftables.conf", ours: "/etc/nftables/lvsplay.nft" },
};

export const nftInclude = (path: string): string => `include "${path}"`;

const isFlush = (line: string): boolean => /^flush\s+ruleset\s*;?\s*(#.*)?$/.test(line.trim());

/** `existing` with exactly one include of `ours`, placed after the last `flush ruleset` (else at the end). */
export function mergeNftInclude(existing: string | null, ours: string): string {
  const include = nftInclude(ours);
  if (existing === null || existing.trim() === "") return `#!/usr/sbin/nft -f\n\n${include}\n`;
  const hadFinalNewline = existing.endsWith("\n");
  const lines = (hadFinalNewline ? existing.slice(0, -1) : existing).split("\n");
  const kept = lines.filter((l) => l.trim() !== include);
  const lastFlush = kept.reduce((at, l, i) => (isFlush(l) ? i : at), -1);
  if (lastFlush >= 0) kept.splice(lastFlush + 1, 0, include);
  else kept.push(include);
  return kept.join("\n") + (hadFinalNewline || lastFlush < 0 ? "\n" : "");
}

/** Does the config include our file after its last `flush ruleset` (what a boot needs)? */
export function includesAfterFlush(conf: string | null, ours: string): boolean {
  if (conf === null) return false;
  const lines = conf.split("\n").map((l) => l.trim());
  const at = lines.lastIndexOf(nftInclude(ours));
  const lastFlush = lines.reduce((acc, l, i) => (isFlush(l) ? i : acc), -1);
  return at >= 0 && at > lastFlush;
}
