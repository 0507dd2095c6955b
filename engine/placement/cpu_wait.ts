/**
 * How long the calling thread has waited for a CPU: runnable, but another thread or process had the core.
 * On a busy machine most of the event loop's lag is this wait, not work of the run's own (in W4 on a shared
 * 2-core machine, 40% of the run thread's wall time). Linux keeps it per thread in
 * `/proc/thread-self/schedstat` ("run ns, wait ns, timeslices"); the lag monitor subtracts it from each
 * heartbeat's lateness, so that the lag the run itself causes can be told from the machine's.
 * @module
 */
import { readFileSync } from "node:fs";

/** Where Linux keeps the calling thread's scheduler statistics. */
const THREAD_SCHEDSTAT = "/proc/thread-self/schedstat";

/**
 * A reader of the calling thread's total CPU wait in milliseconds, or undefined where `file` cannot be read
 * or holds no such figure (not Linux). Each call reads the file again (a few microseconds); call the reader
 * from the thread it measures.
 *
 * @param file the schedstat file (default `/proc/thread-self/schedstat`; a test passes its own)
 * @returns the reader, or undefined
 * @example
 * ```ts
 * import { threadCpuWaitReader } from "./cpu_wait.ts";
 * const waitedMs = threadCpuWaitReader();
 * const before = waitedMs?.() ?? 0;
 * // ... later: how long this thread waited for a CPU in between
 * console.log((waitedMs?.() ?? 0) - before);
 * ```
 */
export function threadCpuWaitReader(file = THREAD_SCHEDSTAT): (() => number) | undefined {
  const read = (): number | undefined => {
    try {
      const waitNs = Number(readFileSync(file, "utf8").split(" ")[1]);
      return Number.isFinite(waitNs) ? waitNs / 1e6 : undefined;
    } catch {
      return undefined;
    }
  };
  let last = read();
  if (last === undefined) return undefined;
  // A read that fails later (the file went away) repeats the last figure: no wait is made up.
  return () => (last = read() ?? last!);
}
