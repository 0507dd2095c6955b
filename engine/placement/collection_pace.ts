/**
 * When a run without a small memory budget forces a full collection (Bun; Deno has none to force). Its
 * timer ticks twice a second: while resident memory is above a first mark a collection comes at most every
 * other tick (once a second), above a second mark at every tick. Collections buy memory with pauses of the
 * event loop, so they come only while memory is high, and more often only while it is higher still: every
 * 500 ms above 192 MB kept Bun's W3 at 228-248 MB but made one W4 run 21% slower; once a second, W3 peaked
 * at 260-273 MB (issue 20, bench/RESULTS.md).
 * @module
 */

/** Options of {@linkcode collectionPace}. */
export interface CollectionPaceOptions {
  /** Resident memory (bytes) above which a collection is due at most every `ticksBetween` ticks. */
  aboveRss: number;
  /** Resident memory (bytes) above which a collection is due at every tick. */
  oftenAboveRss: number;
  /** Ticks from one collection to the next between the two marks (2: every other tick). */
  ticksBetween: number;
}

/**
 * The decision at each tick of a run's collection timer: given the resident memory now, whether to
 * collect. It counts the ticks since it last said yes.
 *
 * @param options the two marks and the pace between them
 * @returns `due(rssBytes)`, to call once per tick
 * @example
 * ```ts
 * import { collectionPace } from "./collection_pace.ts";
 * const MB = 1024 * 1024;
 * const due = collectionPace({ aboveRss: 192 * MB, oftenAboveRss: 240 * MB, ticksBetween: 2 });
 * due(100 * MB); // false: memory is low
 * due(200 * MB); // true
 * due(200 * MB); // false: one tick since the last
 * due(250 * MB); // true: above the second mark, every tick
 * due(250 * MB); // true
 * ```
 */
export function collectionPace(options: CollectionPaceOptions): (rssBytes: number) => boolean {
  let ticksSince = Infinity;
  return (rssBytes) => {
    ticksSince++;
    const due = rssBytes > options.oftenAboveRss ||
      (rssBytes > options.aboveRss && ticksSince >= options.ticksBetween);
    if (due) ticksSince = 0;
    return due;
  };
}
