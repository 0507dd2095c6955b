/**
 * `Barrier`: `n` parties wait until all have arrived, then all go on; it then resets for the next
 * round (cyclic). A party whose wait is aborted no longer counts as arrived.
 * @module
 */
import { KernelUsageError } from "./errors.ts";
import { parkWaiter, RESOLVED, type SyncWaiter, type WaitOptions, wakeAll } from "./sync_waiter.ts";
import { WaitQueue } from "./wait_queue.ts";

/**
 * A reusable rendezvous point for a fixed number of tasks.
 *
 * @example
 * ```ts
 * import { Barrier } from "./barrier.ts";
 * const b = new Barrier(3);
 * await Promise.all([1, 2, 3].map(async (i) => { await b.wait(); console.log("past", i); }));
 * ```
 */
export class Barrier {
  private arrived = 0;
  private readonly waiters = new WaitQueue<SyncWaiter>();
  private readonly unarrive = () => {
    this.arrived--;
  };

  /**
   * Creates a reusable barrier for `parties` tasks; throws {@linkcode KernelUsageError} unless `parties`
   * is a positive integer.
   *
   * @param parties how many tasks must arrive to release the round
   */
  constructor(readonly parties: number) {
    if (!Number.isInteger(parties) || parties < 1) {
      throw new KernelUsageError(
        `Barrier(${parties}): parties must be a positive integer`,
        "give the number of tasks that meet at the barrier",
      );
    }
  }

  /** Tasks waiting in the current round. */
  get waiting(): number {
    return this.arrived;
  }

  /** Arrives and waits for the round to fill; the last arrival releases everyone. */
  wait(opts?: WaitOptions): Promise<void> {
    const signal = opts?.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (++this.arrived === this.parties) {
      this.arrived = 0;
      wakeAll(this.waiters);
      return RESOLVED;
    }
    return parkWaiter(this.waiters, signal, this.unarrive);
  }
}
