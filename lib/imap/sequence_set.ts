/**
 * IMAP sequence sets (`1:3,7,9:10`) as the server sends them in APPENDUID and ESEARCH answers.
 * @module
 */

/**
 * Expands a sequence set into its numbers, in the order given.
 *
 * @param set e.g. `4:6,9`
 * @returns e.g. `[4, 5, 6, 9]`
 * @example
 * ```ts
 * import { expandSequenceSet } from "./sequence_set.ts";
 * expandSequenceSet("4:6,9"); // [4, 5, 6, 9]
 * ```
 */
export function expandSequenceSet(set: string): number[] {
  const out: number[] = [];
  for (const range of set.split(",")) {
    if (!range) continue;
    const [a, b = a] = range.split(":").map(Number);
    if (!Number.isInteger(a) || !Number.isInteger(b)) {
      throw new SyntaxError(`IMAP: bad sequence set '${set}'`);
    }
    const step = a <= b ? 1 : -1;
    for (let n = a; n !== b + step; n += step) out.push(n);
  }
  return out;
}
