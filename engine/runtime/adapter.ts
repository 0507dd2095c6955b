/**
 * The contract every runtime adapter fulfils. Only files in `engine/runtime/` implement it.
 * @module
 */

import type { HeapLimits, WorkerHandle } from "./heap_limited_thread.ts";

/** Runtimes sluice knows by name. */
export type RuntimeName = "deno" | "bun" | "node" | "deno-deploy";

/** Signals sluice listens to for graceful shutdown. */
export type SignalName = "SIGINT" | "SIGTERM";

/** A registered cron job; `stop()` unregisters it. */
export interface CronHandle {
  /** Unregisters the job; a run in progress finishes. */
  stop(): void;
}

/**
 * What sluice needs from a runtime, in one small surface.
 *
 * @example
 * ```ts
 * import { runtime } from "./mod.ts";
 * const off = runtime.onSignal("SIGINT", () => console.log("stopping"));
 * off();
 * ```
 */
export interface RuntimeAdapter {
  /** Which runtime this is. */
  readonly name: RuntimeName;
  /** Number of logical cores (at least 1). */
  readonly cpuCount: number;
  /** Whether module Workers exist here (not on Deno Deploy). */
  readonly hasWorkers: boolean;
  /**
   * Whether this code runs on the process's main thread, not in a Worker. (Under Deno,
   * `isMainThread` of `node:worker_threads` is true inside a web Worker; this asks the worker scope.)
   */
  onMainThread(): boolean;
  /** The command that runs the TypeScript module `file` in a new process of this runtime (all permissions). */
  scriptCommand(file: string): string[];
  /** Reads an environment variable; undefined when unset or when the runtime forbids reading it. */
  env(name: string): string | undefined;
  /** A snapshot of the environment (for `${VAR}` interpolation). */
  envObject(): Record<string, string | undefined>;
  /** Command-line arguments after the script name. */
  args(): string[];
  /** Calls `handler` on the signal; returns a function that removes the listener. */
  onSignal(signal: SignalName, handler: () => void): () => void;
  /**
   * Registers `fn` on a 5-field cron schedule using the runtime's native cron when it has one;
   * returns undefined when it has none (the caller then uses its own timer).
   */
  nativeCron(name: string, schedule: string, fn: () => Promise<void>): CronHandle | undefined;
  /**
   * Why `nativeCron` returns undefined on a runtime that could have native cron, and what to do
   * (Deno without `--unstable-cron`); undefined when native cron works or the runtime never has it.
   */
  nativeCronMissingHint(): string | undefined;
  /** Ends the process with `code`. */
  exit(code: number): never;
  /** Whether stdout is a terminal. */
  isTerminal(): boolean;
  /** Resident set size of this process in bytes. */
  memoryRss(): number;
  /**
   * Asks the garbage collector to run soon, without blocking (Bun's `Bun.gc(false)`); undefined where
   * the runtime has no such hint (Deno: its only collection on demand is a full, blocking one of 40-50 ms).
   * A run calls it every 100 ms: Bun collects lazily, and its ArrayBuffers (fetched images, messages) are
   * freed only by a collection.
   */
  gcHint?: () => void;
  /**
   * A full, blocking garbage collection (Bun's `Bun.gc(true)`); undefined where a program cannot ask for
   * one (Deno without `--expose-gc`). A run calls it every second (every 500 ms with a small memory budget).
   */
  collectNow?: () => void;
  /**
   * Whether `error` is the runtime refusing a permission (Deno's `NotCapable`: a missing `--allow-*`
   * flag); undefined on runtimes without permissions (Bun). See `engine/permission_error.ts`.
   */
  isPermissionError?: (error: unknown) => boolean;
  /**
   * Runs the module `entry` in a thread of its own whose V8 young generation is capped at
   * `limits.youngGenerationMb`, and resolves with the exit code it ends with (see
   * `engine/runtime/heap_limited_thread.ts`); undefined where a thread's heap cannot be sized from inside
   * the program (Bun: JavaScriptCore ignores `resourceLimits`).
   */
  runHeapLimited?: (entry: URL, argv: string[], limits: HeapLimits) => Promise<number>;
  /**
   * Starts the module worker `entry` with its V8 young generation capped at `limits.youngGenerationMb`
   * (the worker pool's workers); undefined where a worker's heap cannot be sized (Bun), where a plain
   * `new Worker(entry, { type: "module" })` is used.
   */
  startHeapLimitedWorker?: (entry: URL, limits: HeapLimits) => WorkerHandle;
}
