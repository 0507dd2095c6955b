/**
 * `Semaphore`: `n` permits, FIFO fair (a release goes to the oldest waiter; `tryAcquire` does not jump
 * the queue), cancellable waits.
 * @module
 */
import { KernelUsageError } from "./errors.ts";
import { parkWaiter, RESOLVED, type SyncWaiter, type WaitOptions } from "./sync_waiter.ts";
import { WaitQueue } from "./wait_queue.ts";

/**
 * A counting semaphore for async code.
 *
 * @example
 * ```ts
 * import { Semaphore } from "./semaphore.ts";
 * const sem = new Semaphore(2); // at most two jobs at once
 * let running = 0, peak = 0;
 * const job = () => sem.use(async () => {
 *   peak = Math.max(peak, ++running);
 *   await new Promise((r) => setTimeout(r, 5));
 *   running--;
 * });
 * await Promise.all([job(), job(), job()]);
 * console.log(peak); // 2
 * ```
 */
export class Semaphore {
  private permits: number;
  private readonly waiters = new WaitQueue<SyncWaiter>();

  /**
   * Creates a semaphore with all `size` permits free; throws {@linkcode KernelUsageError} unless `size` is a
   * positive integer.
   *
   * @param size number of permits (a positive integer)
   */
  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) {
      throw new KernelUsageError(
        `Semaphore(${size}): size must be a positive integer`,
        "give the number of holders allowed at once",
      );
    }
    this.permits = size;
  }

  /** Permits free now. */
  get available(): number {
    return this.permits;
  }

  /** Tasks waiting for a permit. */
  get waiting(): number {
    return this.waiters.size;
  }

  /** Waits for a permit (FIFO). Aborting rejects with the reason and never takes a permit later. */
  acquire(opts?: WaitOptions): Promise<void> {
    const signal = opts?.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.tryAcquire()) return RESOLVED;
    return parkWaiter(this.waiters, signal);
  }

  /** Takes a permit if one is free and nobody is waiting; returns whether it did. */
  tryAcquire(): boolean {
    if (this.permits === 0 || this.waiters.size > 0) return false;
    this.permits--;
    return true;
  }

  /** Returns a permit, handing it to the oldest waiter if any. Throws on more releases than acquires. */
  release(): void {
    const next = this.waiters.shift();
    if (next !== null) return next.wake();
    if (this.permits === this.size) {
      throw new KernelUsageError(
        `Semaphore(${this.size}) released more times than acquired`,
        "call release() once per successful acquire()/tryAcquire()",
      );
    }
    this.permits++;
  }

  /** Runs `fn` holding a permit and releases it however `fn` ends. */
  async use<T>(fn: () => T | Promise<T>, opts?: WaitOptions): Promise<T> {
    await this.acquire(opts);
    try {
      return await fn();
    } finally {
      this.release();
    }
  }
}
