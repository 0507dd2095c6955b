/**
 * `Event`: a flag tasks can wait for (Python's asyncio.Event): `set()` releases every waiter and lets
 * later waits pass until `clear()`.
 * @module
 */
import { parkWaiter, RESOLVED, type SyncWaiter, type WaitOptions, wakeAll } from "./sync_waiter.ts";
import { WaitQueue } from "./wait_queue.ts";

/**
 * A settable, clearable flag with cancellable waits.
 *
 * @example
 * ```ts
 * import { Event } from "./event.ts";
 * const ready = new Event();
 * setTimeout(() => ready.set(), 10);
 * await ready.wait();
 * console.log(ready.isSet); // true
 * ```
 */
export class Event {
  private flag = false;
  private readonly waiters = new WaitQueue<SyncWaiter>();

  /** Whether the event is set. */
  get isSet(): boolean {
    return this.flag;
  }

  /** Sets the flag and wakes every waiter. */
  set(): void {
    this.flag = true;
    wakeAll(this.waiters);
  }

  /** Clears the flag; later waits block until the next `set()`. */
  clear(): void {
    this.flag = false;
  }

  /** Resolves when the flag is set (at once if it already is). */
  wait(opts?: WaitOptions): Promise<void> {
    const signal = opts?.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.flag) return RESOLVED;
    return parkWaiter(this.waiters, signal);
  }
}
