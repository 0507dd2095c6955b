/**
 * A tiny counting semaphore with abortable waits, local to the HTTP code so it does not depend on the
 * kernel while both are written (the kernel's `Semaphore` can replace it).
 * @module
 */

/**
 * Counts permits; `acquire` waits (first come, first served) until one is free.
 *
 * @example
 * ```ts
 * import { PermitCounter } from "./semaphore.ts";
 * const permits = new PermitCounter(2);
 * await permits.acquire();
 * try {
 *   // at most two callers are here at once
 * } finally {
 *   permits.release();
 * }
 * ```
 */
export class PermitCounter {
  #free: number;
  readonly #waiters: Array<() => void> = [];

  /** @param permits how many holders may proceed at once (at least 1) */
  constructor(permits: number) {
    if (!Number.isInteger(permits) || permits < 1) {
      throw new RangeError(`permits must be a positive integer, got ${permits}`);
    }
    this.#free = permits;
  }

  /** Permits free right now. */
  get free(): number {
    return this.#free;
  }

  /** Callers waiting for a permit. */
  get waiting(): number {
    return this.#waiters.length;
  }

  /**
   * Resolves once a permit is held; rejects with `signal.reason` if `signal` aborts first (then no permit
   * is held).
   */
  acquire(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    if (this.#free > 0) {
      this.#free--;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      };
      const onAbort = () => {
        const i = this.#waiters.indexOf(grant);
        if (i >= 0) this.#waiters.splice(i, 1);
        reject(signal!.reason);
      };
      this.#waiters.push(grant);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Returns a permit; the longest waiter, if any, gets it directly. */
  release(): void {
    const next = this.#waiters.shift();
    if (next) next();
    else this.#free++;
  }
}
