/**
 * `WaitGroup`: Go's sync.WaitGroup, a counter of outstanding tasks that `wait()` blocks on until it
 * reaches zero.
 * @module
 */
import { KernelUsageError } from "./errors.ts";
import { parkWaiter, RESOLVED, type SyncWaiter, type WaitOptions, wakeAll } from "./sync_waiter.ts";
import { WaitQueue } from "./wait_queue.ts";

/**
 * Waits for a set of tasks to finish.
 *
 * @example
 * ```ts
 * import { WaitGroup } from "./wait_group.ts";
 * const wg = new WaitGroup();
 * for (let i = 0; i < 3; i++) {
 *   wg.add(1);
 *   setTimeout(() => wg.done(), 5 * i);
 * }
 * await wg.wait();
 * ```
 */
export class WaitGroup {
  private count = 0;
  private readonly waiters = new WaitQueue<SyncWaiter>();

  /** The current counter. */
  get counter(): number {
    return this.count;
  }

  /** Adds `delta` (may be negative); reaching zero wakes every waiter. Throws if it would go below 0. */
  add(delta = 1): void {
    if (this.count + delta < 0) {
      throw new KernelUsageError(
        `WaitGroup counter would become ${this.count + delta}`,
        "call done() once per task added with add()",
      );
    }
    this.count += delta;
    if (this.count === 0) wakeAll(this.waiters);
  }

  /** Marks one task finished (`add(-1)`). */
  done(): void {
    this.add(-1);
  }

  /** Resolves when the counter is zero (at once if it is). */
  wait(opts?: WaitOptions): Promise<void> {
    const signal = opts?.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.count === 0) return RESOLVED;
    return parkWaiter(this.waiters, signal);
  }
}
