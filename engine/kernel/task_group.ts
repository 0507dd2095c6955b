/**
 * `TaskGroup`: Go's errgroup. Tasks share one AbortSignal; the first task that fails aborts it (so the
 * others stop) and `wait()` rejects with that first error. An optional parent signal cancels the
 * group, and `limit` bounds how many tasks run at once (the rest wait in FIFO order).
 * @module
 */
import { KernelUsageError } from "./errors.ts";

/** Options of a {@linkcode TaskGroup}. */
export interface TaskGroupOptions {
  /** Aborting the parent cancels the group with the parent's reason. */
  signal?: AbortSignal;
  /** Most tasks running at once (default: no limit). */
  limit?: number;
}

/**
 * A task of a {@linkcode TaskGroup}: gets the group's signal (aborted on the first failure or a cancel);
 * a throw or rejection fails the group, any other result is ignored.
 *
 * @example
 * ```ts
 * const t: GroupTask = async (signal) => await fetch("https://example.org/", { signal });
 * ```
 */
export type GroupTask = (signal: AbortSignal) => unknown;

interface Queued {
  fn: GroupTask;
  started: () => void;
}

/**
 * A group of tasks that fail together.
 *
 * @example
 * ```ts
 * import { TaskGroup } from "./task_group.ts";
 * const group = new TaskGroup({ limit: 4 });
 * group.go((signal) =>
 *   new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)))
 * );
 * group.go(() => Promise.reject(new Error("feed 3 failed")));
 * await group.wait().catch((e) => console.log(e.message)); // "feed 3 failed"; the first task was aborted
 * ```
 */
export class TaskGroup {
  private readonly controller = new AbortController();
  private readonly parent?: AbortSignal;
  private readonly limit: number;
  private readonly queue: Queued[] = [];
  private queueHead = 0;
  private running = 0;
  private firstError: { error: unknown } | undefined;
  private idle: (() => void)[] = [];
  private listening = false;

  /**
   * Creates an empty group; `limit` defaults to no bound and must be at least 1
   * ({@linkcode KernelUsageError} otherwise).
   *
   * @param options parent `signal` and concurrency `limit`
   */
  constructor(options: TaskGroupOptions = {}) {
    const limit = options.limit ?? Infinity;
    if (!(limit >= 1)) {
      throw new KernelUsageError(
        `TaskGroup limit ${limit}: must be at least 1`,
        "omit limit for no bound, or give the number of tasks that may run at once",
      );
    }
    this.limit = limit;
    this.parent = options.signal;
  }

  /** Aborted when a task fails, `cancel()` is called, or the parent signal aborts. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Tasks running or waiting for a slot. */
  get size(): number {
    return this.running + this.queue.length - this.queueHead;
  }

  /**
   * Starts `fn(signal)` now, or when a slot frees up under `limit`. The returned promise resolves
   * when the task has started (await it to apply back-pressure); it never rejects. Once the group is
   * cancelled (a failure, `cancel()`, the parent), queued and new tasks never start.
   */
  go(fn: GroupTask): Promise<void> {
    if (this.parent?.aborted) this.cancel(this.parent.reason);
    if (this.controller.signal.aborted) return Promise.resolve();
    if (this.size === 0) this.listenToParent(true);
    if (this.running < this.limit) {
      this.start(fn);
      return Promise.resolve();
    }
    return new Promise<void>((started) => this.queue.push({ fn, started }));
  }

  /** Waits until every task has finished; rejects with the first error a task threw. */
  wait(): Promise<void> {
    if (this.size === 0) return this.outcome();
    return new Promise<void>((resolve) => this.idle.push(resolve)).then(() => this.outcome());
  }

  /** Aborts the group's signal (tasks see it); queued tasks will not start. */
  cancel(reason?: unknown): void {
    if (!this.controller.signal.aborted) this.controller.abort(reason);
    this.dropQueued();
  }

  /** Parent abort listener. */
  handleEvent(): void {
    this.cancel(this.parent!.reason);
  }

  /** What `wait()` settles with: the first task error, else success. */
  private outcome(): Promise<void> {
    return this.firstError ? Promise.reject(this.firstError.error) : Promise.resolve();
  }

  /** Runs `fn` in a free slot; its first failure cancels the group, its end starts queued tasks. */
  private start(fn: GroupTask): void {
    this.running++;
    const signal = this.controller.signal;
    Promise.resolve()
      .then(() => fn(signal))
      .then(undefined, (error) => {
        if (this.firstError === undefined) {
          this.firstError = { error };
          this.cancel(error);
        }
      })
      .finally(() => {
        this.running--;
        this.startQueued();
        if (this.size === 0) this.becameIdle();
      });
  }

  /** Starts queued tasks while slots are free (drops them all once the group is cancelled). */
  private startQueued(): void {
    while (this.running < this.limit && this.queueHead < this.queue.length) {
      if (this.controller.signal.aborted) return this.dropQueued();
      const next = this.queue[this.queueHead];
      this.queue[this.queueHead++] = undefined as unknown as Queued;
      this.start(next.fn);
      next.started();
    }
    if (this.queueHead === this.queue.length) {
      this.queue.length = 0;
      this.queueHead = 0;
    }
  }

  /** Forgets queued tasks without running them, releasing their `go()` callers. */
  private dropQueued(): void {
    const dropped = this.queue.slice(this.queueHead);
    this.queue.length = 0;
    this.queueHead = 0;
    for (const q of dropped) q.started();
    if (dropped.length > 0 && this.size === 0) this.becameIdle();
  }

  /** No task left: stop watching the parent and release every `wait()`. */
  private becameIdle(): void {
    this.listenToParent(false);
    const idle = this.idle;
    this.idle = [];
    for (const resolve of idle) resolve();
  }

  /**
   * Adds or removes the parent abort listener. It is held only while tasks exist, so a long-lived parent
   * does not keep groups alive.
   */
  private listenToParent(on: boolean): void {
    if (this.parent === undefined || on === this.listening) return;
    this.listening = on;
    if (on) this.parent.addEventListener("abort", this, { once: true });
    else this.parent.removeEventListener("abort", this);
  }
}
