/**
 * The concurrency layer under the pipeline DSL, usable on its own: Go-style channels and `select`,
 * tasks and task groups, locks and events, single-owner actors, the worker pool, process streams, the
 * placement measurements (event-loop lag, auto placement) and the runtime adapter (Deno or Bun).
 *
 * @example
 * ```ts
 * import { chan, go, TaskGroup } from "./kernel.ts";
 *
 * const ch = chan<number>(1);
 * go(async () => {
 *   await ch.send(41);
 *   ch.close();
 * });
 * for await (const n of ch) console.log(n + 1); // 42
 *
 * const group = new TaskGroup();
 * group.go(async () => {});
 * await group.wait();
 * ```
 * @module
 */

// Channels, select, tasks, synchronisation, owners, the worker pool, process streams.
export * from "./engine/kernel/mod.ts";
export { TRANSFER_RESULT, type TransferResult } from "./engine/kernel/pool_transfer.ts";
// Placement: event-loop lag, auto placement, yielding the loop, GC hints.
export * from "./engine/placement/mod.ts";
// The runtime adapter: the one place that knows Deno from Bun.
export { runtime } from "./engine/runtime/mod.ts";
export type {
  CronHandle,
  HandedWorkerSpec,
  PermissionDescriptor,
  RuntimeAdapter,
  RuntimeName,
  SignalName,
} from "./engine/runtime/adapter.ts";
export type { HeapLimits, WorkerHandle } from "./engine/runtime/heap_limited_thread.ts";
export type { ThreadPolicy } from "./engine/runtime/thread_policy.ts";
