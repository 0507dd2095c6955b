/**
 * The pool's first worker, started before any pool exists: by the CLI while a run's modules load, or by
 * the main thread and handed to the run's thread (`runtime.takeHandedWorker`), so that the first feed of a
 * run does not wait for a worker to boot. The first `WorkerPool` (`worker_pool.ts`) that starts a worker takes it.
 * @module
 */
import { runtime, type WorkerHandle } from "../runtime/mod.ts";
import { POOL_WORKER_ENTRY, POOL_WORKER_YOUNG_GENERATION_MB } from "./pool_worker_spec.ts";

/** A pool worker started before any pool (`prestartPoolWorker`), for the first pool that needs one. */
let prestarted: { worker: WorkerHandle; youngGenerationMb: number } | undefined;

/**
 * Starts a pool worker whose V8 young generation is `youngGenerationMb` (where the runtime can size it;
 * 0: the runtime's default).
 *
 * @example
 * ```ts ignore
 * const worker = startPoolWorker(POOL_WORKER_YOUNG_GENERATION_MB);
 * ```
 */
export function startPoolWorker(youngGenerationMb: number): WorkerHandle {
  const entry = POOL_WORKER_ENTRY;
  return (youngGenerationMb > 0
    ? runtime.startHeapLimitedWorker?.(entry, { youngGenerationMb })
    : undefined) ??
    new Worker(entry, { type: "module" });
}

/**
 * The worker {@linkcode prestartPoolWorker} started, for the pool asking (once), if its heap is the size
 * the pool wants; undefined otherwise.
 *
 * @example
 * ```ts ignore
 * const worker = takePrestartedWorker(POOL_WORKER_YOUNG_GENERATION_MB) ?? startPoolWorker(8);
 * ```
 */
export function takePrestartedWorker(youngGenerationMb: number): WorkerHandle | undefined {
  if (prestarted?.youngGenerationMb !== youngGenerationMb) return undefined;
  const { worker } = prestarted;
  prestarted = undefined;
  return worker;
}

/**
 * Starts a pool worker (with the default heap) before any pool exists: the first `WorkerPool`
 * that starts a worker takes it. The CLI calls this before it loads a run's modules, so that the worker
 * starts meanwhile: under Deno a worker started from a run's thread waits about a second before it takes
 * its first task, longer than a small run's first feed takes to arrive. In a run's thread under Deno it
 * takes the worker the main thread started for the run (`runtime.takeHandedWorker`) instead of starting
 * one: `new Worker` holds the thread that calls it while the worker boots. It never keeps the process alive;
 * `discardPrestartedWorker()` ends it when the run turns out to need no pool. A no-op without workers
 * or when one is waiting already.
 *
 * @example
 * ```ts
 * import { discardPrestartedWorker, prestartPoolWorker, WorkerPool } from "./worker_pool.ts";
 * prestartPoolWorker();
 * const pool = new WorkerPool({ size: 1 });
 * pool.warm(); // takes the worker started above
 * await pool.close();
 * discardPrestartedWorker(); // nothing left to end
 * ```
 */
export function prestartPoolWorker(): void {
  if (prestarted || !runtime.hasWorkers) return;
  prestarted = {
    // In a run's thread under Deno, the main thread started it (see cli/main.ts and handed_worker.ts).
    worker: runtime.takeHandedWorker?.() ?? startPoolWorker(POOL_WORKER_YOUNG_GENERATION_MB),
    youngGenerationMb: POOL_WORKER_YOUNG_GENERATION_MB,
  };
  prestarted.worker.unref?.();
}

/**
 * Ends the worker `prestartPoolWorker()` started, if no pool took it.
 *
 * @example
 * ```ts
 * import { discardPrestartedWorker } from "./pool_prestart.ts";
 * discardPrestartedWorker();
 * ```
 */
export function discardPrestartedWorker(): void {
  prestarted?.worker.terminate();
  prestarted = undefined;
}
