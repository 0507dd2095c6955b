/**
 * "Did you mean ...?": the closest candidate to a misspelt name, by Damerau-Levenshtein distance
 * (a swap of two neighbours counts as one edit, the most common typo) or by prefix.
 * @module
 */

/**
 * The number of single-character insertions, deletions, substitutions and swaps of adjacent
 * characters that turn `a` into `b` (optimal string alignment distance).
 *
 * @example
 * ```ts
 * import { editDistance } from "./suggest.ts";
 * editDistance("concurency", "concurrency"); // 1
 * editDistance("fecth", "fetch"); // 1 (one swap)
 * ```
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => {
    const row = new Array<number>(cols).fill(0);
    row[0] = i;
    return row;
  });
  for (let j = 0; j < cols; j++) d[0][j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}

/**
 * The candidate `word` was most likely meant to be, or `undefined` when none is close: within two
 * edits (and fewer edits than the word has letters, so `id` does not suggest `on`), or one of the two is
 * a prefix of the other (`concur` -> `concurrency`). Case is ignored; the closest wins (ties: the one
 * closer in case and punctuation, then the first).
 *
 * @example
 * ```ts
 * import { suggest } from "./suggest.ts";
 * suggest("concurency", ["capacity", "concurrency", "ordered"]); // "concurrency"
 * suggest("zzz", ["fetch", "parse"]); // undefined
 * ```
 */
export function suggest(word: string, candidates: Iterable<string>): string | undefined {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestScore = Infinity;
  for (const candidate of candidates) {
    const c = candidate.toLowerCase();
    if (c === w) return candidate;
    const distance = editDistance(w, c);
    const close = distance <= 2 && distance < w.length;
    const prefix = w.length >= 3 && (c.startsWith(w) || w.startsWith(c));
    if (!close && !prefix) continue;
    // A near spelling beats a mere prefix; among prefixes the shortest completion wins. Ties go to the
    // candidate closer with case kept, so `on_error` suggests `on-error` rather than `onError`.
    const tieBreak = editDistance(word, candidate) / 1000;
    const score = (close ? distance : 3 + Math.abs(c.length - w.length)) + tieBreak;
    if (score < bestScore) {
      best = candidate;
      bestScore = score;
    }
  }
  return best;
}
