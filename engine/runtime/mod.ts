/**
 * The one place where sluice knows which runtime it is on. Everything else asks `runtime` (a
 * {@linkcode RuntimeAdapter}) for workers, signals, cron, environment and exit, and never checks
 * `Deno` or `Bun` itself.
 *
 * @example
 * ```ts
 * import { runtime } from "./mod.ts";
 * console.log(runtime.name, runtime.cpuCount, runtime.env("HOME") !== undefined);
 * ```
 * @module
 */
import type { RuntimeAdapter } from "./adapter.ts";
import { denoAdapter } from "./deno.ts";
import { bunAdapter } from "./bun.ts";
import { genericAdapter } from "./generic.ts";

export { heapLimitedThreadArgs } from "./heap_limited_thread.ts";
export type { HeapLimits, WorkerHandle } from "./heap_limited_thread.ts";
export type { ThreadPolicy } from "./thread_policy.ts";
export type {
  CronHandle,
  HandedWorkerSpec,
  PermissionDescriptor,
  RuntimeAdapter,
  RuntimeName,
  SignalName,
} from "./adapter.ts";

// deno-lint-ignore no-explicit-any
const g = globalThis as any;

/** The adapter for the runtime this process runs on. */
export const runtime: RuntimeAdapter = g.Bun ? bunAdapter : g.Deno ? denoAdapter : genericAdapter;
