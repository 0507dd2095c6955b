/**
 * What a worker of the pool is: its entry module and its young generation. A module of its own so that
 * the CLI's main thread can start the pool's first worker for a run's thread (`runtime.runHeapLimited`'s
 * `handed`) without loading the pool.
 *
 * @example
 * ```ts
 * import { POOL_WORKER_ENTRY, POOL_WORKER_YOUNG_GENERATION_MB } from "./pool_worker_spec.ts";
 * console.log(POOL_WORKER_ENTRY.pathname.endsWith("pool_worker.ts"), POOL_WORKER_YOUNG_GENERATION_MB); // true 8
 * ```
 * @module
 */

/** The entry module of every pool worker. */
export const POOL_WORKER_ENTRY: URL = new URL("./pool_worker.ts", import.meta.url);

/**
 * The young generation of a pool worker, in MB, unless the pool says otherwise (`youngGenerationMb`):
 * V8 would grow it to 64 MB under a pool's allocation.
 */
export const POOL_WORKER_YOUNG_GENERATION_MB = 8;
