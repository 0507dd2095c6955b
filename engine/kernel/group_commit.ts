/**
 * Group commit: callers submit one item each; one flush at a time takes everything that queued up
 * meanwhile (per key, up to `maxBatch`) and commits it in one go. Under load batches grow by themselves;
 * a lone item is flushed at once. This is how one IMAP connection turns many concurrent uploads into
 * MULTIAPPEND commands.
 * @module
 */

interface Waiting<T, R> {
  item: T;
  resolve(result: R): void;
  reject(error: unknown): void;
}

/**
 * Batches concurrent submissions by key and flushes them one batch at a time.
 *
 * @example
 * ```ts
 * const gc = new GroupCommit<number, number>(async (_key, items) => items.map((n) => n * 2), { maxBatch: 50 });
 * const [a, b] = await Promise.all([gc.submit(1), gc.submit(2)]); // one flush of [1, 2]
 * console.log(a, b); // 2 4
 * ```
 */
export class GroupCommit<T, R> {
  #queues = new Map<string, Waiting<T, R>[]>();
  #flushing = false;
  #closed = false;
  #idle: Promise<void> = Promise.resolve();
  #sizes: number[] = [];
  readonly #maxBatch: number;
  readonly #keyOf: (item: T) => string;

  /**
   * Creates an idle batcher; nothing is flushed until the first `submit`.
   *
   * @param flush commits one batch of items with the same key; returns one result per item, in order
   * @param options `maxBatch` (default 50), `keyOf` groups items (default one group)
   */
  constructor(
    private readonly flush: (key: string, items: T[]) => Promise<R[]>,
    options: { maxBatch?: number; keyOf?: (item: T) => string } = {},
  ) {
    this.#maxBatch = Math.max(1, options.maxBatch ?? 50);
    this.#keyOf = options.keyOf ?? (() => "");
  }

  /** Queues `item` for the next flush of its key; resolves with its result. */
  submit(item: T): Promise<R> {
    if (this.#closed) return Promise.reject(new Error("GroupCommit is closed"));
    return new Promise<R>((resolve, reject) => {
      const key = this.#keyOf(item);
      const queue = this.#queues.get(key);
      if (queue) queue.push({ item, resolve, reject });
      else this.#queues.set(key, [{ item, resolve, reject }]);
      if (!this.#flushing) this.#idle = this.#run();
    });
  }

  /** Items waiting for a flush. */
  get pending(): number {
    let n = 0;
    for (const q of this.#queues.values()) n += q.length;
    return n;
  }

  /** Sizes of the batches flushed so far (for metrics and tests). */
  get batchSizes(): readonly number[] {
    return this.#sizes;
  }

  /**
   * Stops taking items and waits for the batch being committed, so that its results are recorded before
   * whatever it writes to is closed. Items still queued are rejected, never half-committed.
   */
  async close(): Promise<void> {
    this.#closed = true;
    for (const queue of this.#queues.values()) {
      for (const w of queue) w.reject(new Error("GroupCommit closed before this item was committed"));
    }
    this.#queues.clear();
    await this.#idle;
  }

  async #run(): Promise<void> {
    this.#flushing = true;
    try {
      // Let the submissions of this turn of the event loop join the first batch.
      await Promise.resolve();
      while (this.#queues.size > 0) {
        const [key, queue] = this.#queues.entries().next().value as [string, Waiting<T, R>[]];
        const batch = queue.splice(0, this.#maxBatch);
        // Move the key to the back so that other keys get their turn.
        this.#queues.delete(key);
        if (queue.length > 0) this.#queues.set(key, queue);
        this.#sizes.push(batch.length);
        try {
          const results = await this.flush(key, batch.map((w) => w.item));
          batch.forEach((w, i) => w.resolve(results[i]));
        } catch (error) {
          for (const w of batch) w.reject(error);
        }
      }
    } finally {
      this.#flushing = false;
    }
  }
}
