/**
 * `ByteBudget`: a weighted semaphore counting bytes. A request waits until its bytes fit in the budget;
 * one that does not fit is still granted when nothing is held (so one request larger than the whole
 * budget goes through instead of waiting forever).
 *
 * A request may name its `position` (a stage's place in a pipeline: 0 the source, larger downstream).
 * It is then also granted whenever nothing is held at its position or downstream of it: the bytes it
 * waits for are all upstream, possibly queued behind the very stage that waits, and waiting for them
 * would deadlock. The sink end never waits, so what is held downstream always drains and every waiter
 * gets its turn; the budget is exceeded by at most one request per position.
 * @module
 */
import { KernelUsageError } from "./errors.ts";
import type { WaitOptions } from "./sync_waiter.ts";

/** Options of {@linkcode ByteBudget.acquire}. */
export interface ByteWaitOptions extends WaitOptions {
  /**
   * Where the holder sits in a pipeline (default 0): a request that does not fit is granted anyway when
   * nothing is held here or downstream (what it would wait for is upstream of it).
   */
  position?: number;
}

interface Waiter {
  bytes: number;
  position: number;
  resolve: () => void;
  reject: (reason: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/**
 * A budget of bytes shared by concurrent holders, with backpressure when it is used up.
 *
 * @example
 * ```ts
 * import { ByteBudget } from "./byte_budget.ts";
 * const budget = new ByteBudget(1024);
 * await budget.acquire(800);
 * const next = budget.acquire(400); // waits: 800 + 400 > 1024
 * budget.release(800);
 * await next;
 * console.log(budget.held); // 400: a request over the whole budget now would wait until it is 0
 * ```
 * @example
 * ```ts
 * import { ByteBudget } from "./byte_budget.ts";
 * const budget = new ByteBudget(1024);
 * await budget.acquire(5000); // over the budget, granted because nothing else is held: no deadlock
 * budget.release(5000);
 * console.log(budget.highWater); // 5000
 * ```
 */
export class ByteBudget {
  readonly #held = new Map<number, number>();
  /** Waiting requests by position, each queue oldest first. */
  readonly #queues = new Map<number, Waiter[]>();
  #waiting = 0;
  #total = 0;
  #highWater = 0;

  /**
   * Creates a budget with nothing held; throws {@linkcode KernelUsageError} unless `limit` is a positive
   * number of bytes.
   *
   * @param limit bytes that may be held at once
   */
  constructor(readonly limit: number) {
    if (!Number.isFinite(limit) || limit <= 0) {
      throw new KernelUsageError(
        `ByteBudget(${limit}): the limit must be a positive number of bytes`,
        "give the most bytes that may be held at once",
      );
    }
  }

  /** Bytes held now, at every position. */
  get held(): number {
    return this.#total;
  }

  /** The most bytes held at once so far. */
  get highWater(): number {
    return this.#highWater;
  }

  /** Requests waiting now. */
  get waiting(): number {
    return this.#waiting;
  }

  /**
   * Waits until `bytes` fit (FIFO among requests of the same position) and takes them. Aborting rejects
   * with the signal's reason and never takes the bytes later.
   */
  acquire(bytes: number, opts?: ByteWaitOptions): Promise<void> {
    checkBytes(bytes);
    const position = opts?.position ?? 0;
    const signal = opts?.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const queue = this.#queues.get(position);
    if (queue === undefined && this.#fits(bytes, position)) {
      this.#take(bytes, position);
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const w: Waiter = { bytes, position, resolve, reject, signal };
      if (signal) {
        w.onAbort = () => {
          const q = this.#queues.get(position);
          const i = q?.indexOf(w) ?? -1;
          if (i < 0) return;
          q!.splice(i, 1);
          if (q!.length === 0) this.#queues.delete(position);
          this.#waiting--;
          reject(signal.reason);
          // A large request that left may have been holding back smaller ones behind it.
          this.#grant();
        };
        signal.addEventListener("abort", w.onAbort, { once: true });
      }
      if (queue) queue.push(w);
      else this.#queues.set(position, [w]);
      this.#waiting++;
    });
  }

  /**
   * Takes `bytes` at once, over the budget if need be: for bytes that exist already and must be counted,
   * by a holder that may not wait (it would hold others while it waits). Later requests wait for them.
   */
  reserve(bytes: number, position = 0): void {
    checkBytes(bytes);
    this.#take(bytes, position);
  }

  /** Gives back `bytes` taken at `position` and wakes the requests that now fit. */
  release(bytes: number, position = 0): void {
    checkBytes(bytes);
    const here = this.#held.get(position) ?? 0;
    if (bytes > here) {
      throw new KernelUsageError(
        `ByteBudget: released ${bytes} bytes at position ${position}, where ${here} are held`,
        "release exactly what was acquired or reserved, at the same position",
      );
    }
    if (here === bytes) this.#held.delete(position);
    else this.#held.set(position, here - bytes);
    this.#total -= bytes;
    this.#grant();
  }

  /** Bytes held at `position` and downstream of it. */
  #heldFrom(position: number): number {
    let sum = 0;
    for (const [p, n] of this.#held) if (p >= position) sum += n;
    return sum;
  }

  #fits(bytes: number, position: number): boolean {
    return this.#total + bytes <= this.limit || this.#heldFrom(position) === 0;
  }

  #take(bytes: number, position: number): void {
    this.#held.set(position, (this.#held.get(position) ?? 0) + bytes);
    this.#total += bytes;
    if (this.#total > this.#highWater) this.#highWater = this.#total;
  }

  /** Grants waiting requests, downstream first (they free the bytes the others wait for), FIFO per position. */
  #grant(): void {
    if (this.#waiting === 0) return;
    const positions = [...this.#queues.keys()].sort((a, b) => b - a);
    for (const position of positions) {
      const queue = this.#queues.get(position)!;
      while (queue.length > 0 && this.#fits(queue[0].bytes, position)) {
        const w = queue.shift()!;
        this.#waiting--;
        if (w.onAbort) w.signal!.removeEventListener("abort", w.onAbort);
        this.#take(w.bytes, position);
        w.resolve();
      }
      if (queue.length === 0) this.#queues.delete(position);
    }
  }
}

function checkBytes(bytes: number): void {
  if (!Number.isFinite(bytes) || bytes < 0) {
    throw new KernelUsageError(`ByteBudget: ${bytes} is not a number of bytes`, "pass a count >= 0");
  }
}
