// Fuzzy matching for the prompt box's completions: the query's characters in
// order, scored so that matches at word starts, in the file name and in a row
// rank first.

/** The score of `query` in `candidate` (higher is better), or null when it does not match. */
export function fuzzyScore(query: string, candidate: string): number | null {
  if (query === '') return 0;
  const q = query.toLowerCase();
  const c = candidate.toLowerCase();
  const base = c.lastIndexOf('/') + 1;
  let score = 0;
  let from = 0;
  let prev = -2;
  for (const ch of q) {
    const i = c.indexOf(ch, from);
    if (i < 0) return null;
    if (i === prev + 1) score += 5;
    if (i === 0 || '/._- '.includes(c.charAt(i - 1))) score += 3;
    if (i >= base) score += 1;
    prev = i;
    from = i + 1;
  }
  if (c.includes(q)) score += 10;
  if (c.slice(base).startsWith(q)) score += 10;
  return score - candidate.length * 0.01;
}

/**
 * The best `limit` of `candidates` for `query`, best first. Only the best so
 * far are kept in order, so a project's 20,000 paths cost one pass, not a sort.
 */
export function fuzzyFilter<T>(query: string, candidates: Iterable<T>, key: (t: T) => string, limit = 8): T[] {
  const best: { t: T; k: string; score: number }[] = [];
  const before = (score: number, k: string, than: { k: string; score: number }) => score > than.score || (score === than.score && k.localeCompare(than.k) < 0);
  for (const t of candidates) {
    const k = key(t);
    const score = fuzzyScore(query, k);
    if (score === null) continue;
    const last = best[best.length - 1];
    if (best.length >= limit && last && !before(score, k, last)) continue;
    let i = best.length;
    for (let prev = best[i - 1]; prev && before(score, k, prev); prev = best[i - 1]) i--;
    best.splice(i, 0, { t, k, score });
    if (best.length > limit) best.pop();
  }
  return best.map((b) => b.t);
}
