// "Did you mean …?" suggestions for misspelt keys, operation and handler names.

/** Levenshtein distance (small inputs only: names and keys). */
export const editDistance = (a: string, b: string): number => {
  let beforePrevious: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
      // Damerau: a swap of two neighbours ("prot" → "port") is one edit.
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        current[j] = Math.min(current[j] ?? 0, (beforePrevious[j - 2] ?? 0) + 1);
    }
    beforePrevious = previous;
    previous = current;
  }
  return previous[b.length] ?? 0;
};

/**
 * Candidates close to `name`: small edit distance (scaled with length) or one
 * containing the other, best first, at most `limit`.
 */
export const closeNames = (name: string, candidates: Iterable<string>, limit = 3): string[] => {
  const lower = name.toLowerCase();
  const maxDistance = Math.max(1, Math.floor(name.length / 3));
  const scored: { candidate: string; score: number }[] = [];
  for (const candidate of new Set(candidates)) {
    const other = candidate.toLowerCase();
    const distance = editDistance(lower, other);
    const contains = lower.length >= 3 && (other.includes(lower) || lower.includes(other));
    if (distance <= maxDistance || contains)
      scored.push({ candidate, score: contains ? Math.min(distance, 2) : distance });
  }
  return scored
    .sort((a, b) => a.score - b.score || a.candidate.localeCompare(b.candidate))
    .slice(0, limit)
    .map((s) => s.candidate);
};
