/**
 * Ordered output under concurrency: workers finish items in any order, but emit them in input order.
 * @module
 */

/**
 * Hands out turns by sequence number: `turn(n)` resolves once every item before `n` called `done`.
 *
 * @example
 * ```ts
 * const order = new InOrder();
 * const second = order.turn(1, new AbortController().signal); // waits
 * await order.turn(0, new AbortController().signal);
 * order.done(0);
 * await second;
 * ```
 */
export class InOrder {
  #next = 0;
  #waiting = new Map<number, () => void>();

  turn(seq: number, signal: AbortSignal): Promise<void> {
    if (seq === this.#next) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
      this.#waiting.set(seq, () => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      });
    });
  }

  done(seq: number): void {
    if (seq !== this.#next) return;
    this.#next++;
    const wake = this.#waiting.get(this.#next);
    if (wake) {
      this.#waiting.delete(this.#next);
      wake();
    }
  }
}
