/**
 * The contract every runtime adapter fulfils. Only files in `engine/runtime/` implement it.
 * @module
 */
import type { ThreadPolicy } from "./thread_policy.ts";

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
 * @example The adapter of the running runtime is `runtime` in `./mod.ts`; code that needs one takes it:
 * ```ts
 * import type { RuntimeAdapter } from "./adapter.ts";
 * function stopOnInterrupt(rt: RuntimeAdapter, stop: () => void): () => void {
 *   return rt.onSignal("SIGINT", stop);
 * }
 * console.log(typeof stopOnInterrupt); // "function"
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
  /**
   * The runtime's refusal to let this process read the environment variable `name` (Deno's `NotCapable`
   * without an `--allow-env` that covers it), or undefined when it may; undefined on runtimes without
   * permissions (Bun). `env` reads a refused variable as unset; this tells the two apart.
   */
  envRefusal?: (name: string) => Error | undefined;
  /** A snapshot of the environment (for `${VAR}` interpolation). */
  envObject(): Record<string, string | undefined>;
  /** Command-line arguments after the script name. */
  args(): string[];
  /**
   * The UTF-8 text of the file at `path`; rejects with the runtime's error (a refused read included). Under
   * Deno it does not load `node:fs`, whose first load costs a thread 35-50 ms of CPU: the CLI's main thread
   * reads the pipeline file with it before a run's thread starts.
   */
  readTextFile(path: string): Promise<string>;
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
   * True where a pool worker is a second heap worth sparing under a small memory budget (Deno: a V8 isolate
   * of its own, 40-60 MB of a run's resident memory), so such a run keeps its pool stages on the loop.
   * Bun: false (a loop-only run peaked higher than one with the pool).
   */
  poolWorkerIsOwnHeap?: boolean;
  /**
   * A full, blocking garbage collection (Bun's `Bun.gc(true)`); undefined where a program cannot ask for
   * one (Deno without `--expose-gc`). A run given a small memory budget calls it every 500 ms.
   */
  collectNow?: () => void;
  /**
   * A full collection that marks the whole heap before it returns but leaves the sweep to the runtime's
   * incremental sweeper (Bun: `bun:jsc`'s `fullGC`; `Bun.gc(true)` also sweeps every block before it
   * returns, most of its pause): a shorter pause, the memory comes back within a few hundred ms. A run
   * without a small budget calls it while its resident memory is high; undefined where there is none.
   */
  collectSweepingLater?: () => void;
  /**
   * Hands the memory the C allocator holds freed back to the system, without blocking (Deno: glibc's
   * `malloc_trim(0)` through FFI on another thread, where the FFI permission is granted; see
   * `engine/runtime/malloc_trim.ts`); undefined where the runtime's allocator returns it by itself (Bun's
   * mimalloc). A run given a small memory budget calls it every 2 s, and waits for the last one to end.
   */
  releaseFreedMemory?: () => Promise<void> | void;
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
  runHeapLimited?: (
    entry: URL,
    argv: string[],
    limits: HeapLimits,
    handed?: HandedWorkerSpec,
  ) => Promise<number>;
  /**
   * In a run's thread: the worker that `runHeapLimited(..., handed)` started for it on the main thread
   * (once; see `engine/runtime/handed_worker.ts`); undefined elsewhere.
   */
  takeHandedWorker?: () => WorkerHandle | undefined;
  /**
   * Starts the module worker `entry` with its V8 young generation capped at `limits.youngGenerationMb`
   * (the worker pool's workers); undefined where a worker's heap cannot be sized (Bun), where a plain
   * `new Worker(entry, { type: "module" })` is used.
   */
  startHeapLimitedWorker?: (entry: URL, limits: HeapLimits) => WorkerHandle;
  /**
   * Asks the kernel for time slices of `sliceNs` on the calling thread (Linux 6.12+, `sched_setattr` through
   * the runtime's FFI, see `engine/runtime/thread_slice.ts`); resolves whether it took them, false where it
   * cannot be done. Undefined where the runtime has no FFI.
   */
  shortenThreadSlice?: (sliceNs: number) => Promise<boolean>;
  /**
   * Moves thread `tid` of this process (default 0: the calling thread) to a scheduling policy below the
   * normal one (Linux `SCHED_BATCH` or `SCHED_IDLE`, `sched_setattr` through the runtime's FFI, see
   * `engine/runtime/thread_policy.ts`); resolves whether the thread now runs under it, false where it cannot
   * be done. Undefined where the runtime has no FFI.
   */
  setThreadPolicy?: (policy: ThreadPolicy, tid?: number) => Promise<boolean>;
  /**
   * Whether the program may already run `command` and read `/proc` without the runtime asking the user
   * (Deno: both permissions granted; where they are not, asking on a terminal would hold up a run for
   * something it does without). Undefined where the runtime has no permissions (Bun).
   */
  mayRunQuietly?: (command: string) => boolean;
  /**
   * Whether the runtime grants `permission` already, asked without a prompt (Deno's
   * `permissions.querySync`: a run in a terminal with scoped permissions must not stop to ask for one it can
   * do without). Undefined where the runtime has no permissions (Bun): everything is allowed.
   */
  permissionGranted?: (permission: PermissionDescriptor) => boolean;
}

/** A worker the main thread starts for a run's thread (`engine/runtime/handed_worker.ts`). */
export interface HandedWorkerSpec {
  /** The worker's entry module; it reads its port with `handedPort()`. */
  entry: URL;
  /** The worker's V8 heap sizes. */
  limits: HeapLimits;
}

/** The V8 heap sizes of a thread started by `runHeapLimitedThread` (heap_limited_thread.ts). */
export interface HeapLimits {
  /** The young generation's maximum, in MB (V8's default under Deno 2.9: 64). */
  youngGenerationMb: number;
  /**
   * The old generation's maximum, in MB (V8's default: from the machine's memory, 2-4 GB); a thread whose
   * live objects outgrow it ends with an out-of-memory error. Below 2 GB it also lowers how far V8 lets
   * the old generation grow between full collections (at 512: to about 1.4x what was live after the
   * last one, against up to 4x).
   */
  oldGenerationMb?: number;
}

/**
 * The parts of a module `Worker` that sluice's worker pool uses: a web `Worker` has them, and so does
 * `HeapLimitedWorker` (heap_limited_thread.ts).
 */
export interface WorkerHandle {
  /** Receives what the worker posts, as `event.data`. */
  onmessage: ((e: MessageEvent) => void) | null;
  /** `error` (an uncaught error in the worker) and `close` (the worker ended). */
  addEventListener(type: "error" | "close", listener: (e: Event) => void): void;
  /** Sends `message`, moving the buffers in `transfer`. */
  postMessage(message: unknown, transfer?: Transferable[]): void;
  /** Ends the worker. */
  terminate(): void;
  /** Lets the worker keep the process alive (again). */
  ref?(): void;
  /** Lets the process end while the worker idles. */
  unref?(): void;
}

/** A permission as `Deno.permissions.querySync` takes it (see {@linkcode RuntimeAdapter.permissionGranted}). */
export interface PermissionDescriptor {
  /** `ffi`, `read`, `run`, `sys`, ... */
  name: string;
  /** The command of a `run` permission. */
  command?: string;
  /** The path of a `read` or `write` permission. */
  path?: string;
  /** The kind of a `sys` permission (`hostname`, ...). */
  kind?: string;
}
