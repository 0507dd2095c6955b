/**
 * Module functions of `lang_bench.ts`: what a user's `map` with `module:` would be.
 * @module
 */

/** A record of the 1 GB file with a field added (a little work per item, as a real map does). */
export function enrich(record: { id: number; text: string }): { id: number; words: number; text: string } {
  let words = 1;
  for (let i = 0; i < record.text.length; i++) if (record.text.charCodeAt(i) === 32) words++;
  return { id: record.id, words, text: record.text };
}

/** The small item of the round-trip figure. */
export function double(n: number): number {
  return n * 2;
}
