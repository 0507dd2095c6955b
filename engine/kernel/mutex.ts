/**
 * `Mutex`: an async lock with FIFO hand-off (an unlock passes the lock straight to the oldest waiter,
 * so no newcomer can barge in) and cancellable waits.
 * @module
 */
import { KernelUsageError } from "./errors.ts";
import { parkWaiter, RESOLVED, type SyncWaiter, type WaitOptions } from "./sync_waiter.ts";
import { WaitQueue } from "./wait_queue.ts";

/**
 * A mutual-exclusion lock for async code.
 *
 * @example
 * ```ts
 * import { Mutex } from "./mutex.ts";
 * const m = new Mutex();
 * let n = 0;
 * await Promise.all([1, 2, 3].map(() => m.use(async () => { const v = n; await null; n = v + 1; })));
 * console.log(n); // 3
 * ```
 */
export class Mutex {
  private held = false;
  private readonly waiters = new WaitQueue<SyncWaiter>();

  /** Whether someone holds the lock. */
  get locked(): boolean {
    return this.held;
  }

  /** Waits for the lock (FIFO). Aborting rejects with the reason and never takes the lock later. */
  lock(opts?: WaitOptions): Promise<void> {
    const signal = opts?.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (!this.held) {
      this.held = true;
      return RESOLVED;
    }
    return parkWaiter(this.waiters, signal);
  }

  /** Takes the lock if it is free; returns whether it did. */
  tryLock(): boolean {
    if (this.held) return false;
    this.held = true;
    return true;
  }

  /** Releases the lock, handing it to the oldest waiter if any. Throws when not locked. */
  unlock(): void {
    if (!this.held) {
      throw new KernelUsageError("unlock of an unlocked Mutex", "call unlock() once per successful lock()");
    }
    const next = this.waiters.shift();
    if (next === null) this.held = false;
    else next.wake(); // ownership passes on; `held` stays true
  }

  /** Runs `fn` holding the lock and releases it however `fn` ends. */
  async use<T>(fn: () => T | Promise<T>, opts?: WaitOptions): Promise<T> {
    await this.lock(opts);
    try {
      return await fn();
    } finally {
      this.unlock();
    }
  }
}
