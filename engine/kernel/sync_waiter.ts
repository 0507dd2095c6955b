/**
 * The parked side of Mutex, Semaphore, Event, Barrier and WaitGroup: a FIFO node whose promise
 * resolves when it is woken, or rejects with the signal's reason when aborted first. An aborted
 * waiter leaves the queue at once, so it can never be woken (acquire) later.
 * @module
 */
import { WaitNode, type WaitQueue } from "./wait_queue.ts";

/** A resolved promise shared by every wait that completes at once. */
export const RESOLVED: Promise<void> = Promise.resolve();

/**
 * A waiter of a synchronisation primitive.
 *
 * @example
 * ```ts
 * import { parkWaiter, SyncWaiter } from "./sync_waiter.ts";
 * import { WaitQueue } from "./wait_queue.ts";
 * const q = new WaitQueue<SyncWaiter>();
 * const p = parkWaiter(q);
 * q.shift()!.wake();
 * await p;
 * ```
 */
export class SyncWaiter extends WaitNode {
  resolve: () => void = noop;
  reject: (reason: unknown) => void = noop;
  signal: AbortSignal | undefined = undefined;
  /** Called when the waiter is withdrawn by an abort (a Barrier un-counts the arrival). */
  onCancel: (() => void) | undefined = undefined;

  /** Resolves the wait; the caller has already taken it out of its queue. */
  wake(): void {
    this.signal?.removeEventListener("abort", this);
    this.resolve();
  }

  /** Abort listener. */
  handleEvent(): void {
    const queue = this.queue;
    if (queue === null || !queue.remove(this)) return;
    this.onCancel?.();
    this.reject(this.signal!.reason);
  }
}

function noop(): void {}

/**
 * Parks a new waiter at the tail of `queue` and returns its promise. Check `signal.aborted` first.
 *
 * @param queue the primitive's FIFO
 * @param signal aborting withdraws the waiter and rejects with the reason
 * @param onCancel called when the waiter is withdrawn by the abort
 * @returns resolves when the waiter is woken
 * @example
 * ```ts
 * import { parkWaiter, SyncWaiter } from "./sync_waiter.ts";
 * import { WaitQueue } from "./wait_queue.ts";
 * const q = new WaitQueue<SyncWaiter>();
 * const ac = new AbortController();
 * const p = parkWaiter(q, ac.signal);
 * ac.abort();
 * await p.catch(() => console.log(q.size)); // 0
 * ```
 */
export function parkWaiter(
  queue: WaitQueue<SyncWaiter>,
  signal?: AbortSignal,
  onCancel?: () => void,
): Promise<void> {
  const w = new SyncWaiter();
  const promise = new Promise<void>((resolve, reject) => {
    w.resolve = resolve;
    w.reject = reject;
  });
  if (signal !== undefined) {
    w.signal = signal;
    w.onCancel = onCancel;
    signal.addEventListener("abort", w, { once: true });
  }
  queue.push(w);
  return promise;
}

/**
 * Wakes every waiter of `queue`, oldest first.
 *
 * @example
 * ```ts
 * import { parkWaiter, SyncWaiter, wakeAll } from "./sync_waiter.ts";
 * import { WaitQueue } from "./wait_queue.ts";
 * const q = new WaitQueue<SyncWaiter>();
 * const all = Promise.all([parkWaiter(q), parkWaiter(q)]);
 * wakeAll(q);
 * await all;
 * ```
 */
export function wakeAll(queue: WaitQueue<SyncWaiter>): void {
  for (let w = queue.shift(); w !== null; w = queue.shift()) w.wake();
}

/** Options of every cancellable wait in the kernel. */
export interface WaitOptions {
  /** Aborting withdraws the waiter and rejects with `signal.reason`; it never acquires afterwards. */
  signal?: AbortSignal;
}
