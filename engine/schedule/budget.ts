/**
 * A time budget for one tick (serverless mode: a cron invocation must end before the platform kills
 * it). At the deadline `signal` aborts: sources stop taking new work and in-flight items finish.
 * @module
 */
import { type Clock, realClock } from "./clock.ts";

/**
 * A deadline `ms` from now with a signal that aborts at it (reason: a `TimeoutError` DOMException, as
 * `AbortSignal.timeout`) or when `options.signal` aborts first (its reason). Dispose it when the tick
 * ends so no timer is left.
 *
 * @example
 * ```ts
 * import { TimeBudget } from "./budget.ts";
 * using budget = new TimeBudget(50_000);
 * for (const feed of ["a", "b"]) {
 *   if (budget.signal.aborted) break; // out of time: leave the rest for the next tick
 *   console.log(feed, budget.remainingMs);
 * }
 * ```
 */
export class TimeBudget implements Disposable {
  /** When the budget runs out. */
  readonly deadline: Date;
  /** Aborts at the deadline or when the parent signal aborts. */
  readonly signal: AbortSignal;
  #clock: Clock;
  #controller = new AbortController();
  #timer = new AbortController();
  #parent?: AbortSignal;
  #onParentAbort = () => {
    this.#controller.abort(this.#parent?.reason);
    this.dispose();
  };

  /**
   * Starts the budget now: `deadline` is the clock's now plus `ms`; call `dispose()` when the run ends.
   *
   * @param ms the budget in milliseconds (0 or less: already spent)
   * @param options `clock` (default the real one), `signal` a parent that also ends the budget
   */
  constructor(ms: number, options: { clock?: Clock; signal?: AbortSignal } = {}) {
    this.#clock = options.clock ?? realClock;
    this.deadline = new Date(this.#clock.now().getTime() + Math.max(0, ms));
    this.signal = this.#controller.signal;
    this.#parent = options.signal;
    if (this.#parent?.aborted) {
      this.#onParentAbort();
    } else {
      this.#parent?.addEventListener("abort", this.#onParentAbort, { once: true });
    }
    if (ms <= 0) {
      this.#expire(ms);
    } else if (!this.signal.aborted) {
      this.#clock.sleepUntil(this.deadline, this.#timer.signal).then(() => {
        if (!this.#timer.signal.aborted) this.#expire(ms);
      });
    }
  }

  /** Milliseconds left (0 once spent). */
  get remainingMs(): number {
    return Math.max(0, this.deadline.getTime() - this.#clock.now().getTime());
  }

  /** Whether the deadline has passed or the budget was aborted. */
  get expired(): boolean {
    return this.signal.aborted || this.remainingMs === 0;
  }

  /** Stops the deadline timer and the parent listener; the signal keeps its state. */
  dispose(): void {
    this.#timer.abort();
    this.#parent?.removeEventListener("abort", this.#onParentAbort);
  }

  /** Same as {@linkcode TimeBudget.dispose}, for `using`. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  #expire(ms: number): void {
    this.#controller.abort(new DOMException(`time budget of ${ms} ms is spent`, "TimeoutError"));
    this.dispose();
  }
}
