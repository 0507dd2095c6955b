/**
 * The run's memory budget (`--max-memory`, `memory:`): the bytes items carry between stages (fetched
 * bodies, images, composed messages, messages waiting for the mailbox) counted against one
 * {@linkcode ByteBudget}. A stage's `bytesOf` weighs what it emits; the runner takes those bytes before
 * the item goes downstream (waiting while the budget is used up: backpressure) and gives them back when
 * the next stage is done with the item, however it ends (handed on, failed, dropped, dead-lettered,
 * aborted).
 * @module
 */
import { ByteBudget } from "../kernel/byte_budget.ts";

/** The default memory budget: bytes in flight across a run (64 MiB). */
export const DEFAULT_MEMORY_BUDGET: number = 64 * 1024 * 1024;

/**
 * A memory budget set below this (192 MiB) also keeps a run's `pool` and `auto` stages on the event loop
 * (`RunOptions.smallBudgetOnLoop`): one V8 heap instead of two.
 *
 * @example
 * ```ts
 * import { LOOP_ONLY_BELOW_BYTES } from "./bytes_in_flight.ts";
 * console.log(128 * 1024 * 1024 < LOOP_ONLY_BELOW_BYTES); // true: --max-memory 128MB runs on the loop
 * ```
 */
export const LOOP_ONLY_BELOW_BYTES: number = 192 * 1024 * 1024;

/**
 * Bytes held by the items of one run, keyed by the item.
 *
 * @example
 * ```ts
 * import { BytesInFlight } from "./bytes_in_flight.ts";
 * const memory = new BytesInFlight(1024);
 * const body = { bytes: new Uint8Array(600) };
 * await memory.hold(body, 600, 1);
 * memory.release(body); // the next stage is done with it
 * console.log(memory.held, memory.highWater); // 0 600
 * ```
 */
export class BytesInFlight {
  readonly #budget: ByteBudget;
  readonly #items = new WeakMap<object, { bytes: number; position: number }>();

  /**
   * Creates an empty account with a budget of `limit` bytes.
   *
   * @param limit the budget in bytes (default {@linkcode DEFAULT_MEMORY_BUDGET})
   */
  constructor(limit: number = DEFAULT_MEMORY_BUDGET) {
    this.#budget = new ByteBudget(limit);
  }

  /** The budget in bytes. */
  get limit(): number {
    return this.#budget.limit;
  }

  /** Bytes held now. */
  get held(): number {
    return this.#budget.held;
  }

  /** The most bytes held at once during the run. */
  get highWater(): number {
    return this.#budget.highWater;
  }

  /**
   * Waits until `bytes` fit, then counts them as held by `item`, emitted by the stage at `position` (it
   * waits only for bytes held at or after it). Items that are not objects, or weigh nothing, hold nothing.
   */
  async hold(item: unknown, bytes: number, position: number, signal?: AbortSignal): Promise<void> {
    if (bytes <= 0 || typeof item !== "object" || item === null || this.#items.has(item)) return;
    await this.#budget.acquire(bytes, { position, signal });
    this.#items.set(item, { bytes, position });
  }

  /** Gives back what `item` holds (nothing if it holds nothing); safe to call more than once. */
  release(item: unknown): void {
    if (typeof item !== "object" || item === null) return;
    const held = this.#items.get(item);
    if (held === undefined) return;
    this.#items.delete(item);
    this.#budget.release(held.bytes, held.position);
  }
}
