/**
 * Lowers the scheduling priority of the calling thread, so that on a busy machine the event loop's thread
 * gets a core before CPU-bound work of the same program (the worker pool's feed parsing). Linux keeps a
 * nice value per thread, and any thread may raise its own (lower its priority) without privilege; this
 * asks `renice -n N -p TID` (util-linux or busybox) for the thread's id read from `/proc/thread-self`, the
 * same way under Deno and Bun, without FFI. Where any of it is missing (not Linux, no `renice`, a Deno run
 * without `--allow-run` or `--allow-read`, which is never asked for), nothing happens and nothing is
 * reported: the thread keeps the priority it had.
 * @module
 */
import { execFile } from "node:child_process";
import process from "node:process";
import { runtime } from "./mod.ts";
import { readlinkSyncOnUse } from "./node_fs_on_use.ts";
import { niceInStat } from "./thread_nice.ts";
import type { ThreadPolicy } from "./thread_policy.ts";

/**
 * How much the worker pool's threads raise their nice value above the one they started with (the
 * process's): at 10 a thread gets about a tenth of the CPU time of the loop's thread when both want a core.
 */
export const POOL_WORKER_NICE_INCREMENT = 10;

/**
 * The scheduling policy the worker pool's threads take once reniced (`thread_policy.ts`): under
 * `SCHED_BATCH` a worker that wakes with a task no longer preempts the event loop's thread; it keeps its
 * share of the CPU (its nice value), so the pool's throughput stays.
 */
export const POOL_WORKER_POLICY: ThreadPolicy = "batch";

/** How long `renice` may take before the thread gives up on it (it takes a few ms). */
const RENICE_TIMEOUT_MS = 10_000;

/** The lowering this thread started, if any (one per thread: a module instance is per thread). */
let lowered: Promise<boolean> | undefined;

/**
 * The calling thread's id (Linux: the `task/TID` that `/proc/thread-self` links to), or undefined where
 * there is no such link.
 *
 * @returns the thread id
 * @example
 * ```ts
 * import { currentThreadId } from "./thread_priority.ts";
 * console.log(currentThreadId()); // e.g. 4711 on Linux, undefined elsewhere
 * ```
 */
export function currentThreadId(): number | undefined {
  try {
    const tid = Number(readlinkSyncOnUse("/proc/thread-self").split("/").pop());
    return Number.isInteger(tid) && tid > 0 ? tid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The nice value of thread `tid` of this process, from `/proc/self/task/TID/stat` (Linux); undefined where
 * it cannot be read.
 *
 * @param tid a thread id of this process (from {@linkcode currentThreadId})
 * @returns the nice value (-20..19)
 * @example
 * ```ts
 * import { currentThreadId, threadNice } from "./thread_priority.ts";
 * const tid = currentThreadId();
 * if (tid !== undefined) console.log(threadNice(tid)); // 0 for a thread nobody reniced
 * ```
 */
export function threadNice(tid: number): number | undefined {
  return niceInStat(`/proc/self/task/${tid}/stat`);
}

/**
 * Lowers the calling thread's priority: raises its nice value by `by` (to at most 19, the lowest
 * priority), then moves it to `policy` (`runtime.setThreadPolicy`, where the runtime's FFI may be used;
 * elsewhere the thread keeps the normal policy). Resolves true when the thread then runs at that nice
 * value, false where that could not be done; it never rejects. Called again in the same thread, it returns
 * the first call's promise.
 *
 * @param by how much to raise the nice value, 1..19 (default {@linkcode POOL_WORKER_NICE_INCREMENT})
 * @param policy the scheduling policy to take afterwards (default {@linkcode POOL_WORKER_POLICY}), or
 *   undefined to keep the normal one
 * @returns whether the thread's priority is now that much lower
 * @example
 * ```ts
 * import { lowerThreadPriority } from "./thread_priority.ts";
 * // In a worker thread doing CPU-bound work: the event loop's thread goes first when both want a core.
 * const lowered = await lowerThreadPriority(10);
 * console.log(lowered); // true on Linux with renice, false elsewhere
 * ```
 */
export function lowerThreadPriority(
  by = POOL_WORKER_NICE_INCREMENT,
  policy: ThreadPolicy | undefined = POOL_WORKER_POLICY,
): Promise<boolean> {
  return lowered ??= lower(Math.min(19, Math.max(1, Math.round(by)))).then(async (done) => {
    // After the renice: the policy call hands the thread's nice value back to the kernel as it then is.
    if (policy) await runtime.setThreadPolicy?.(policy).catch(() => false);
    return done;
  });
}

/**
 * The promise of this thread's {@linkcode lowerThreadPriority} call, or undefined when the thread never
 * asked: a task in a pool worker awaits it to see the priority its thread ended up with.
 *
 * @returns the promise, or undefined
 * @example
 * ```ts
 * import { threadPriorityLowered } from "./thread_priority.ts";
 * console.log(await (threadPriorityLowered() ?? Promise.resolve(false)));
 * ```
 */
export function threadPriorityLowered(): Promise<boolean> | undefined {
  return lowered;
}

function lower(by: number): Promise<boolean> {
  if (process.platform !== "linux") return Promise.resolve(false);
  // Deno without --allow-run (or /proc readable) would ask on a terminal: do without.
  if (runtime.mayRunQuietly && !runtime.mayRunQuietly("renice")) return Promise.resolve(false);
  const tid = currentThreadId();
  const before = tid === undefined ? undefined : threadNice(tid);
  if (tid === undefined || before === undefined) return Promise.resolve(false);
  const nice = Math.min(19, before + by);
  if (before >= nice) return Promise.resolve(true);
  return new Promise<boolean>((resolve) => {
    try {
      execFile(
        "renice",
        ["-n", String(nice), "-p", String(tid)],
        { timeout: RENICE_TIMEOUT_MS },
        () => resolve((threadNice(tid) ?? before) >= nice),
      );
    } catch {
      // Deno without --allow-run throws here rather than reporting the error to the callback.
      resolve(false);
    }
  });
}
