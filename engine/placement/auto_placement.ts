/**
 * The `auto` placement: a stage starts on the event loop, its first items are timed, and it moves to the
 * worker pool when they block the loop for too long.
 *
 * Why these rules:
 * - Measure instead of guessing: the same stage is cheap on a small feed and expensive on a big one,
 *   and only the running program knows which it got.
 * - The median of the first `sampleItems` items, not the mean or the first item: the first call pays
 *   for JIT warm-up and lazy imports, and a single garbage collection can land in any item; the median
 *   ignores both while a consistently heavy stage still crosses the line.
 * - `thresholdMs = 5`: a pool round trip costs tens of microseconds plus cloning the item, so moving
 *   pays off long before 5 ms; below that the loop is cheaper (no clone). At 5 ms an item already
 *   delays every socket and timer by a visible amount, and a stream of such items keeps the loop busy
 *   back to back, which is exactly the lag the heartbeat (`loop_lag.ts`) would report.
 * - The decision is made once and never revisited: flapping between loop and pool would pay the move
 *   twice and reorder work, and the pool has already imported the stage's module.
 * @module
 */

/** Where an `auto` stage runs once decided. */
export type AutoDecision = "loop" | "pool";

/** Options of {@linkcode AutoPlacement}. */
export interface AutoPlacementOptions {
  /** Items to time before deciding (default 8). */
  sampleItems?: number;
  /** Median blocking time above which the stage moves to the pool, in milliseconds (default 5). */
  thresholdMs?: number;
}

/**
 * Collects the blocking time of a stage's first items and decides, once, where it runs.
 *
 * @example
 * ```ts
 * import { AutoPlacement, measureBlocking } from "./auto_placement.ts";
 * const documents = Array.from({ length: 20 }, (_, i) => JSON.stringify({ id: i, body: "x".repeat(1000) }));
 * const auto = new AutoPlacement({ sampleItems: 8, thresholdMs: 5 });
 * for (const text of documents) {
 *   if (auto.decided === "pool") break; // from here on, send the items to the worker pool
 *   const { result, blockingMs } = measureBlocking(() => JSON.parse(text));
 *   auto.record(blockingMs);
 *   console.log(result.id);
 * }
 * console.log(auto.decided); // "loop": parsing 1 KB takes far less than 5 ms
 * ```
 */
export class AutoPlacement {
  /** Items timed before deciding. */
  readonly sampleItems: number;
  /** Median blocking time (ms) above which the stage moves to the pool. */
  readonly thresholdMs: number;
  readonly #samples: number[] = [];
  #decided: AutoDecision | undefined;
  #medianMs: number | undefined;

  /**
   * Creates an undecided placement: it times the first `sampleItems` items (default 8) against
   * `thresholdMs` (default 5 ms).
   *
   * @param options how many items to time and the threshold in milliseconds
   */
  constructor(options: AutoPlacementOptions = {}) {
    this.sampleItems = Math.max(1, Math.floor(options.sampleItems ?? 8));
    this.thresholdMs = options.thresholdMs ?? 5;
  }

  /** `undefined` while sampling, then `"loop"` or `"pool"` for good. */
  get decided(): AutoDecision | undefined {
    return this.#decided;
  }

  /** The median blocking time the decision was based on (undefined while sampling). */
  get medianMs(): number | undefined {
    return this.#medianMs;
  }

  /**
   * Records how long one item blocked the loop; decides after `sampleItems` records. Records after
   * the decision are ignored.
   *
   * @param blockingMs the item's synchronous run time in milliseconds
   * @example
   * ```ts
   * import { AutoPlacement } from "./auto_placement.ts";
   * const auto = new AutoPlacement({ sampleItems: 1 });
   * auto.record(12);
   * console.log(auto.decided); // "pool"
   * ```
   */
  record(blockingMs: number): void {
    if (this.#decided) return;
    this.#samples.push(blockingMs);
    if (this.#samples.length < this.sampleItems) return;
    const sorted = [...this.#samples].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    this.#medianMs = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    this.#decided = this.#medianMs > this.thresholdMs ? "pool" : "loop";
  }
}

/**
 * Calls `fn` and measures how long it held the thread. For an async function only the synchronous part
 * (up to its first `await`) is measured, which is exactly the time the event loop was blocked.
 *
 * @param fn the call to time
 * @returns its result and the elapsed milliseconds
 * @example
 * ```ts
 * import { measureBlocking } from "./auto_placement.ts";
 * const { result, blockingMs } = measureBlocking(() => JSON.parse('{"a":1}'));
 * console.log(result.a, blockingMs < 5);
 * ```
 */
export function measureBlocking<T>(fn: () => T): { result: T; blockingMs: number } {
  const start = performance.now();
  const result = fn();
  return { result, blockingMs: performance.now() - start };
}
