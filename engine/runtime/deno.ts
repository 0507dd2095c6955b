/**
 * The Deno adapter: native `Deno.cron` (needs `--unstable-cron`), Deploy detection.
 * @module
 */
import type { CronHandle, RuntimeAdapter } from "./adapter.ts";
import {
  nodeArgs,
  nodeCpuCount,
  nodeEnv,
  nodeEnvObject,
  nodeExit,
  nodeIsTerminal,
  nodeMemoryRss,
  nodeOnMainThread,
  nodeOnSignal,
} from "./node_common.ts";
import {
  exitHeapLimitedThread,
  heapLimitedThreadArgs,
  HeapLimitedWorker,
  runHeapLimitedThread,
} from "./heap_limited_thread.ts";
import { takeHandedWorker } from "./handed_worker.ts";
import { type RawSyscall, schedSetattrNumber, setThreadSlice } from "./thread_slice.ts";
import { mallocTrimmer } from "./malloc_trim.ts";
import { granted, withDenoLibc } from "./deno_libc.ts";
import { setThreadPolicy } from "./thread_policy.ts";

// deno-lint-ignore no-explicit-any
const Deno = (globalThis as any).Deno;
const onDeploy = typeof Deno?.env?.get === "function" && (() => {
  try {
    return Boolean(Deno.env.get("DENO_DEPLOYMENT_ID"));
  } catch {
    return false;
  }
})();

const SYSCALL = { syscall: { parameters: ["i64", "i64", "buffer", "i64"], result: "i64" } };

/**
 * Calls `use` with the C library's `syscall` (`withDenoLibc`: opened for the call, closed after), for the
 * scheduler settings of a thread (time slice, policy), which read the thread back from `/proc`; null where
 * it cannot be done (not Linux, no --allow-ffi, /proc not readable), without asking.
 */
function withDenoSyscall<T>(use: (syscall: RawSyscall) => T): T | null {
  if (schedSetattrNumber() === undefined || !granted({ name: "read", path: "/proc" })) return null;
  return withDenoLibc(
    SYSCALL,
    (libc) => use((nr, a, struct, flags) => Number(libc.syscall(nr, a, struct, flags))),
  );
}

/**
 * A module Deno would not load for want of a permission: an `import()` it did not read ahead (deno.json's
 * `lazy-dynamic-imports`, or a computed specifier) needs --allow-read, and Deno rejects it with a
 * `TypeError` (code `ERR_MODULE_NOT_FOUND`) whose message is the permission's, not a `NotCapable`.
 */
function refusedModuleLoad(error: unknown): boolean {
  return error instanceof TypeError && /^Requires (read|import) access to /.test(error.message);
}

/** glibc's malloc_trim, opened on the first call (undefined until then; a no-op where it cannot work). */
let trimmer: (() => Promise<void> | undefined) | undefined;

/** The adapter used under Deno 2 (and Deno Deploy, which has no Worker). */
export const denoAdapter: RuntimeAdapter = {
  name: onDeploy ? "deno-deploy" : "deno",
  cpuCount: onDeploy ? 1 : nodeCpuCount(),
  hasWorkers: typeof (globalThis as { Worker?: unknown }).Worker === "function",
  // Deno's node:worker_threads says `isMainThread` inside a web Worker too: ask the global scope first.
  // A node:worker_threads thread is off the main thread, except the one a CLI run goes in (it is the run's
  // main thread: its event loop is the pipeline's).
  poolWorkerIsOwnHeap: true,
  onMainThread: () => {
    const scope = (globalThis as { WorkerGlobalScope?: new () => unknown }).WorkerGlobalScope;
    if (typeof scope === "function" && globalThis instanceof scope) return false;
    return nodeOnMainThread() || heapLimitedThreadArgs() !== undefined;
  },
  scriptCommand: (file) => [
    (globalThis as { Deno?: { execPath(): string } }).Deno?.execPath() ?? "deno",
    "run",
    "-A",
    "--unstable-kv",
    "--unstable-cron",
    file,
  ],
  env: nodeEnv,
  envRefusal: typeof Deno?.errors?.NotCapable === "function"
    ? (name) => {
      try {
        Deno.env.get(name);
        return undefined;
      } catch (e) {
        return e instanceof Deno.errors.NotCapable ? e as Error : undefined;
      }
    }
    : undefined,
  envObject: nodeEnvObject,
  args: () => (Deno?.args ? [...Deno.args] : nodeArgs()),
  readTextFile: (path) => Deno.readTextFile(path),
  onSignal: nodeOnSignal,
  nativeCron(name, schedule, fn): CronHandle | undefined {
    if (typeof Deno?.cron !== "function") return undefined;
    const controller = new AbortController();
    // Deno.cron accepts only letters, digits, spaces, hyphens and underscores in a job name.
    Deno.cron(name.replace(/[^A-Za-z0-9 _-]/g, "_"), schedule, { signal: controller.signal }, fn);
    return { stop: () => controller.abort() };
  },
  nativeCronMissingHint: () =>
    typeof Deno?.cron === "function" ? undefined : "run deno with --unstable-cron to use Deno.cron",
  // In a run's thread: the parent ends the process as soon as it has the code (see exitHeapLimitedThread).
  exit: (code: number) =>
    heapLimitedThreadArgs() !== undefined ? exitHeapLimitedThread(code) : nodeExit(code),
  isTerminal:
    () => (typeof Deno?.stdout?.isTerminal === "function" ? Deno.stdout.isTerminal() : nodeIsTerminal()),
  memoryRss: () => (typeof Deno?.memoryUsage === "function" ? Deno.memoryUsage().rss : nodeMemoryRss()),
  isPermissionError: typeof Deno?.errors?.NotCapable === "function"
    ? (error) => error instanceof Deno.errors.NotCapable || refusedModuleLoad(error)
    : undefined,
  releaseFreedMemory: onDeploy ? undefined : () => (trimmer ??= mallocTrimmer() ?? (() => undefined))(),
  // Deno honours a node:worker_threads thread's resourceLimits (its own isolate cannot be sized from inside).
  runHeapLimited: onDeploy ? undefined : runHeapLimitedThread,
  takeHandedWorker: onDeploy ? undefined : takeHandedWorker,
  startHeapLimitedWorker: onDeploy ? undefined : (entry, limits) => new HeapLimitedWorker(entry, limits),
  mayRunQuietly: (command) => granted({ name: "run", command }) && granted({ name: "read", path: "/proc" }),
  permissionGranted: granted,
  shortenThreadSlice: (sliceNs) =>
    Promise.resolve(withDenoSyscall((sys) => setThreadSlice(sys, sliceNs)) ?? false),
  setThreadPolicy: (policy, tid) =>
    Promise.resolve(withDenoSyscall((sys) => setThreadPolicy(sys, policy, tid)) ?? false),
};
