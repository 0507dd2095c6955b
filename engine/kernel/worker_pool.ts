/**
 * A pool of module Workers that runs CPU-bound tasks off the event loop. Functions cannot cross threads,
 * so a task is named by its module URL and export; the worker imports the module once and calls the
 * export with structured-cloned arguments.
 *
 * Buffers: `transfer` moves argument buffers to the worker (they are detached here); results move back
 * by the rule in `pool_transfer.ts` (a whole `ArrayBuffer`/typed array at the top level of the result, or
 * exactly the list given to `transferResult`).
 * @module
 */
import { setTimeout as setNodeTimeout } from "node:timers";
import { pathToFileURL } from "node:url";
import { runtime, type WorkerHandle } from "../runtime/mod.ts";
import { PoolClosedError, PoolTaskModuleError, WorkerCrashedError } from "./pool_errors.ts";
import {
  describeError,
  type PreloadMessage,
  reviveError,
  type SerializedError,
  type TaskMessage,
} from "./pool_protocol.ts";
import { POOL_WORKER_YOUNG_GENERATION_MB } from "./pool_worker_spec.ts";
import { startPoolWorker, takePrestartedWorker } from "./pool_prestart.ts";
import { runOnLoop } from "./pool_on_loop.ts";

export { PoolClosedError, PoolTaskModuleError, WorkerCrashedError } from "./pool_errors.ts";
export { transferResult } from "./pool_transfer.ts";
export { discardPrestartedWorker, prestartPoolWorker } from "./pool_prestart.ts";

/** Names a pool task: the module that exports it and the export's name. */
export interface PoolTask {
  /** An absolute module URL (`new URL("./tasks.ts", import.meta.url)`), `file:` URL or absolute path. */
  module: string | URL;
  /** The exported function to call (sync or async). */
  export: string;
}

/** Per-call options of {@linkcode WorkerPool.run}. */
export interface PoolRunOptions {
  /** Argument buffers to move to the worker instead of copying (detached here once sent). */
  transfer?: Transferable[];
  /** Aborting removes a queued task, or terminates (and replaces) the worker running it. */
  signal?: AbortSignal;
}

/** Options of {@linkcode WorkerPool}. */
export interface WorkerPoolOptions {
  /** Maximum number of workers, started on demand. Default: `runtime.cpuCount`. */
  size?: number;
  /**
   * Milliseconds after which an idle worker is terminated. Default: never where the runtime can stop an
   * idle worker from keeping the process alive (Bun's `unref`), 1000 ms elsewhere (Deno), so that a
   * script that forgets `close()` still exits.
   */
  idleTimeoutMs?: number;
  /** `false` runs tasks on the event loop even where Workers exist (tests, debugging). */
  useWorkers?: boolean;
  /**
   * The most MB each worker's V8 young generation may take, where the runtime lets a program size a
   * worker's heap (Deno: a `node:worker_threads` thread with `resourceLimits`; Bun ignores it). Default
   * 8: V8 otherwise grows it to 64 MB under a sustained rate of allocation, such as parsing feeds.
   * `0` starts plain module Workers with V8's defaults.
   */
  youngGenerationMb?: number;
}

/** Counters for metrics and tests. */
export interface PoolStats {
  /** Live workers. */
  workers: number;
  /** Workers running a task. */
  busy: number;
  /** Tasks waiting for a worker. */
  queued: number;
  /** Workers that crashed (and were replaced) since the pool was made. */
  crashed: number;
}

interface PendingTask {
  id: number;
  module: string;
  exportName: string;
  args: unknown[];
  transfer: Transferable[];
  signal?: AbortSignal;
  onAbort?: () => void;
  resolve(value: unknown): void;
  reject(error: unknown): void;
  slot?: Slot;
  done: boolean;
}

interface Slot {
  worker: WorkerHandle;
  task?: PendingTask;
  dead: boolean;
  idleSince: number;
  idleTimer?: ReturnType<typeof setNodeTimeout>;
}

const DEFAULT_IDLE_MS_WITHOUT_UNREF = 1000;

/**
 * Runs named tasks on a fixed-size set of module Workers; tasks wait in FIFO order when all are busy.
 * Where Workers do not exist (Deno Deploy) it runs them on the event loop and says so once.
 *
 * @example
 * ```ts
 * import { WorkerPool } from "./worker_pool.ts";
 * // tasks.ts: export function double(x: number) { return x * 2; }
 * const tasks = new URL("../../tests/fixtures/pool_tasks.ts", import.meta.url);
 * const pool = new WorkerPool({ size: 2 });
 * try {
 *   const results = await Promise.all([1, 2, 3].map((x) => pool.run<number>({ module: tasks, export: "double" }, [x])));
 *   console.log(results); // [2, 4, 6]
 * } finally {
 *   await pool.close();
 * }
 * ```
 */
export class WorkerPool {
  /** Maximum number of workers. */
  readonly size: number;
  /** Whether tasks run in Workers (false on runtimes without them, or with `useWorkers: false`). */
  readonly usesWorkers: boolean;
  readonly #idleTimeoutMs: number | undefined;
  readonly #youngGenerationMb: number;
  readonly #slots = new Set<Slot>();
  readonly #idle: Slot[] = [];
  /** Modules every worker imports as soon as it starts (`preload`). */
  readonly #preloads = new Set<string>();
  /** Modules a worker has imported (it answered a preload or a task naming them): see `hasLoaded`. */
  readonly #loaded = new Set<string>();
  #queue: PendingTask[] = [];
  #head = 0;
  #queued = 0;
  #nextId = 1;
  #crashed = 0;
  #closed = false;

  /**
   * Creates the pool without starting workers: they start on demand, up to `size` (default: the CPU count).
   *
   * @param options pool size, idle timeout, and whether to use workers at all
   */
  constructor(options: WorkerPoolOptions = {}) {
    this.size = Math.max(1, Math.floor(options.size ?? runtime.cpuCount));
    this.usesWorkers = runtime.hasWorkers && options.useWorkers !== false;
    this.#idleTimeoutMs = options.idleTimeoutMs;
    this.#youngGenerationMb = options.youngGenerationMb ?? POOL_WORKER_YOUNG_GENERATION_MB;
  }

  /** Current counters (live workers, busy workers, queued tasks, crashes so far). */
  get stats(): PoolStats {
    let busy = 0;
    for (const s of this.#slots) if (s.task) busy++;
    return { workers: this.#slots.size, busy, queued: this.#queued, crashed: this.#crashed };
  }

  /**
   * Runs `task` with `args` in a worker and resolves with what it returned (or rejects with what it
   * threw, name/message/stack/code preserved). Rejects with {@linkcode WorkerCrashedError} when the
   * worker dies, `signal.reason` when aborted, {@linkcode PoolClosedError} when the pool closes first.
   *
   * @param task the module URL and export name
   * @param args arguments, structured-cloned (or moved, see `transfer`)
   * @param options `transfer` list and abort `signal`
   * @returns the task's result
   * @example
   * ```ts
   * import { WorkerPool } from "./worker_pool.ts";
   * const pool = new WorkerPool({ size: 1 });
   * const bytes = new Uint8Array(1 << 20);
   * const cancel = new AbortController(); // cancel.abort() would reject the run with its reason
   * const length = await pool.run<number>(
   *   { module: new URL("../../tests/fixtures/pool_tasks.ts", import.meta.url), export: "byteLength" },
   *   [bytes],
   *   { transfer: [bytes.buffer], signal: cancel.signal },
   * );
   * console.log(length, bytes.byteLength); // 1048576 0 (the buffer moved to the worker)
   * await pool.close();
   * ```
   */
  run<R>(task: PoolTask, args: unknown[] = [], options: PoolRunOptions = {}): Promise<R> {
    let module: string;
    try {
      module = taskModuleUrl(task.module);
    } catch (e) {
      return Promise.reject(e);
    }
    const { signal } = options;
    if (this.#closed) return Promise.reject(new PoolClosedError(`${module}#${task.export}`));
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (!this.usesWorkers) return runOnLoop<R>(module, task.export, args, signal);
    return new Promise<R>((resolve, reject) => {
      const t: PendingTask = {
        id: this.#nextId++,
        module,
        exportName: task.export,
        args,
        transfer: options.transfer ?? [],
        signal,
        resolve: resolve as (v: unknown) => void,
        reject,
        done: false,
      };
      if (signal) {
        t.onAbort = this.#abortHandler(t);
        signal.addEventListener("abort", t.onAbort, { once: true });
      }
      const slot = this.#freeSlot();
      if (slot) this.#start(slot, t);
      else this.#enqueue(t);
    });
  }

  /**
   * Starts workers now, up to `count` (never more than `size`), so that the first tasks do not wait for
   * one to start. Starting a worker holds the event loop for 10-20 ms under Deno: better spent before the
   * work begins than when the first results arrive. A no-op without workers or after `close()`.
   *
   * @param count how many workers should be running afterwards (default 1)
   * @example
   * ```ts
   * import { WorkerPool } from "./worker_pool.ts";
   * const pool = new WorkerPool({ size: 2 });
   * pool.warm();
   * console.log(pool.stats.workers); // 1
   * await pool.close();
   * ```
   */
  warm(count = 1): void {
    if (!this.usesWorkers || this.#closed) return;
    while (this.#slots.size < Math.min(count, this.size)) this.#release(this.#spawn());
  }

  /**
   * Has every worker, running or started later, import the task module `module` now, so that the first
   * task naming it does not wait for the import (tens to hundreds of ms for a module with many imports).
   * Nothing is answered: a module that cannot be imported fails the tasks that name it, as without a
   * preload. A no-op without workers or after `close()`.
   *
   * @param module the task module's URL, as tasks name it
   * @example
   * ```ts
   * import { WorkerPool } from "./worker_pool.ts";
   * const tasks = new URL("../../tests/fixtures/pool_tasks.ts", import.meta.url);
   * const pool = new WorkerPool({ size: 1 });
   * pool.warm();
   * pool.preload(tasks);
   * console.log(await pool.run<number>({ module: tasks, export: "double" }, [21])); // 42
   * await pool.close();
   * ```
   */
  preload(module: string | URL): void {
    if (!this.usesWorkers || this.#closed) return;
    let url: string;
    try {
      url = taskModuleUrl(module);
    } catch {
      return; // a relative path: the tasks that name it fail with the reason
    }
    if (this.#preloads.has(url)) return;
    this.#preloads.add(url);
    for (const slot of this.#slots) slot.worker.postMessage({ preload: url } satisfies PreloadMessage);
  }

  /**
   * Whether a worker has imported the task module `module` (it answered its `preload`, or a task naming
   * it), so that a task naming it starts without waiting for a worker to start or import; always true
   * without workers (tasks then run on the event loop at once). Under Deno a worker started from a run's
   * thread takes 0.5-1 s to its first message: a stage may keep its first items meanwhile
   * (`task(..., { loopUntilPoolLoaded: true })`).
   *
   * @param module the task module's URL, as tasks name it
   * @example
   * ```ts
   * import { WorkerPool } from "./worker_pool.ts";
   * const tasks = new URL("../../tests/fixtures/pool_tasks.ts", import.meta.url);
   * const pool = new WorkerPool({ size: 1 });
   * console.log(pool.hasLoaded(tasks)); // false: no worker yet
   * await pool.run<number>({ module: tasks, export: "double" }, [21]);
   * console.log(pool.hasLoaded(tasks)); // true
   * await pool.close();
   * ```
   */
  hasLoaded(module: string | URL): boolean {
    if (!this.usesWorkers) return true;
    try {
      return this.#loaded.has(taskModuleUrl(module));
    } catch {
      return false;
    }
  }

  /**
   * Terminates every worker. Queued and running tasks reject with {@linkcode PoolClosedError}; later
   * `run` calls reject too. Safe to call twice.
   *
   * @example
   * ```ts
   * import { WorkerPool } from "./worker_pool.ts";
   * const pool = new WorkerPool({ size: 1 });
   * await pool.close();
   * console.log(pool.stats.workers); // 0
   * ```
   */
  close(): Promise<void> {
    this.#closed = true;
    for (let t = this.#dequeue(); t; t = this.#dequeue()) this.#fail(t, new PoolClosedError(label(t)));
    for (const slot of [...this.#slots]) {
      const t = slot.task;
      this.#kill(slot);
      if (t) this.#fail(t, new PoolClosedError(label(t)));
    }
    return Promise.resolve();
  }

  /** An idle worker, or a new one while below `size`; undefined when all are busy. */
  #freeSlot(): Slot | undefined {
    const idle = this.#idle.pop();
    if (idle) return idle;
    if (this.#slots.size < this.size) return this.#spawn();
    return undefined;
  }

  #spawn(): Slot {
    const worker = takePrestartedWorker(this.#youngGenerationMb) ?? startPoolWorker(this.#youngGenerationMb);
    const slot: Slot = { worker, dead: false, idleSince: 0 };
    worker.onmessage = (e: MessageEvent) => {
      const d = e.data;
      if (Array.isArray(d)) {
        const t = slot.task;
        if (!t || t.id !== d[0]) return;
        slot.task = undefined;
        this.#loaded.add(t.module);
        // Hand the worker its next task before settling, so it never idles while callbacks run.
        this.#release(slot);
        const { resolve, reject } = t;
        this.#settle(t);
        if (d[1]) resolve(d[2]);
        else reject(reviveError(d[2] as SerializedError));
      } else if (d && typeof d.preloaded === "string") this.#loaded.add(d.preloaded);
      else if (d && typeof d.crash === "string") this.#crash(slot, d.crash);
    };
    worker.addEventListener("error", (e: Event) => {
      e.preventDefault(); // otherwise the worker's error is rethrown on the main thread
      const ev = e as ErrorEvent;
      this.#crash(slot, `uncaught ${describeError(ev.error ?? ev.message)}`);
    });
    // Bun reports any end of a worker with "close"; Deno has no such event (the entry reports instead).
    worker.addEventListener("close", () => this.#crash(slot, "the worker exited"));
    this.#slots.add(slot);
    for (const url of this.#preloads) worker.postMessage({ preload: url } satisfies PreloadMessage);
    return slot;
  }

  #start(slot: Slot, t: PendingTask): void {
    slot.task = t;
    t.slot = slot;
    slot.worker.ref?.();
    try {
      slot.worker.postMessage([t.id, t.module, t.exportName, t.args] satisfies TaskMessage, t.transfer);
      t.args = t.transfer = []; // sent: let big arguments be collected while the task runs
    } catch (e) {
      slot.task = undefined;
      t.slot = undefined;
      this.#release(slot);
      this.#fail(t, new TypeError(`arguments of pool task ${label(t)} cannot be sent: ${describeError(e)}`));
    }
  }

  /** Gives a worker that just finished the next queued task, or parks it as idle. */
  #release(slot: Slot): void {
    const next = this.#dequeue();
    if (next) return this.#start(slot, next);
    this.#idle.push(slot);
    slot.worker.unref?.();
    this.#armIdleTimer(slot);
  }

  #armIdleTimer(slot: Slot): void {
    const idleMs = this.#idleTimeoutMs ??
      (typeof slot.worker.unref === "function" ? undefined : DEFAULT_IDLE_MS_WITHOUT_UNREF);
    if (idleMs === undefined || !Number.isFinite(idleMs)) return;
    slot.idleSince = performance.now();
    if (slot.idleTimer) return; // the pending check re-arms itself for the remaining time
    const check = (): void => {
      slot.idleTimer = undefined;
      if (slot.dead || slot.task) return;
      const left = idleMs - (performance.now() - slot.idleSince);
      if (left > 1) {
        slot.idleTimer = setNodeTimeout(check, left);
        slot.idleTimer.unref();
      } else this.#kill(slot);
    };
    slot.idleTimer = setNodeTimeout(check, idleMs);
    slot.idleTimer.unref();
  }

  #crash(slot: Slot, reason: string): void {
    if (slot.dead) return;
    const t = slot.task;
    this.#kill(slot);
    this.#crashed++;
    if (t) this.#fail(t, new WorkerCrashedError(label(t), reason));
    this.#pump();
  }

  /**
   * The abort listener of `t`, made here so that it closes over `t` alone: made inside `run`, it held the
   * task's arguments (a batch of items) for as long as the listener stayed reachable.
   */
  #abortHandler(t: PendingTask): () => void {
    return () => this.#abort(t);
  }

  #abort(t: PendingTask): void {
    if (t.done) return;
    if (t.slot) {
      // A running task cannot be interrupted inside its worker: end the worker and start another.
      this.#kill(t.slot);
      this.#pump();
    } else this.#queued--;
    this.#fail(t, t.signal?.reason);
  }

  /** Starts queued tasks on free or new workers (after a worker was killed). */
  #pump(): void {
    while (this.#queued > 0 && !this.#closed) {
      const slot = this.#freeSlot();
      if (!slot) return;
      const t = this.#dequeue();
      if (!t) return this.#release(slot);
      this.#start(slot, t);
    }
  }

  #kill(slot: Slot): void {
    if (slot.dead) return;
    slot.dead = true;
    this.#slots.delete(slot);
    const i = this.#idle.indexOf(slot);
    if (i >= 0) this.#idle.splice(i, 1);
    if (slot.idleTimer) clearTimeout(slot.idleTimer);
    slot.idleTimer = undefined;
    slot.task = undefined;
    slot.worker.onmessage = null;
    slot.worker.terminate();
  }

  #enqueue(t: PendingTask): void {
    this.#queue.push(t);
    this.#queued++;
  }

  /** The oldest task still waiting (aborted ones are skipped: abort only marks them). */
  #dequeue(): PendingTask | undefined {
    while (this.#head < this.#queue.length) {
      const t = this.#queue[this.#head];
      this.#queue[this.#head++] = undefined as unknown as PendingTask;
      if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
        this.#queue = this.#queue.slice(this.#head);
        this.#head = 0;
      }
      if (!t.done) {
        this.#queued--;
        return t;
      }
    }
    return undefined;
  }

  /**
   * Marks `t` done and lets go of what it holds: under Deno an abort listener stays reachable for a while
   * after it is removed, and through it the task's resolver, its promise and so the result (with the
   * arguments, see `#abortHandler`: a pool map promoted 1.7 KB per record to the old generation, 48 B
   * without a signal).
   */
  #settle(t: PendingTask): void {
    t.done = true;
    t.slot = undefined;
    if (t.onAbort) t.signal?.removeEventListener("abort", t.onAbort);
    t.onAbort = t.signal = undefined;
    t.resolve = t.reject = settled;
  }

  #fail(t: PendingTask, error: unknown): void {
    if (t.done) return;
    const reject = t.reject;
    this.#settle(t);
    reject(error);
  }
}

/** What a settled task's resolvers become: nothing is left to settle. */
function settled(): void {}

function label(t: PendingTask): string {
  return `${t.module}#${t.exportName}`;
}

/**
 * The absolute URL a worker can import: relative paths are refused because a worker cannot know what
 * they were relative to.
 */
function taskModuleUrl(module: string | URL): string {
  if (module instanceof URL) return module.href;
  if (/^[a-z][a-z0-9+.-]+:/i.test(module)) return module;
  if (module.startsWith("/")) return pathToFileURL(module).href;
  throw new PoolTaskModuleError(
    module,
    "is a relative path, and a worker cannot know what it is relative to",
    `pass new URL(${JSON.stringify(module)}, import.meta.url)`,
  );
}
