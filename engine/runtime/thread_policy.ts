/**
 * Puts a thread of this process under Linux's batch scheduling policy (`SCHED_BATCH`): the thread keeps its
 * nice value and so its share of the CPU, but when it wakes it no longer preempts the thread that has the
 * core (the kernel's fair scheduler lets only `SCHED_NORMAL` threads preempt on wake-up); it gets the core
 * at the next tick or when that thread sleeps. The worker pool's threads, which parse feeds while the event
 * loop's thread serves sockets and timers, run so (`thread_priority.ts`). `SCHED_IDLE` (run only when
 * nothing else wants the core) is the stronger form. Any thread may move itself or a thread of its own user
 * from the normal policy to these without privilege; moving back needs it, so a thread is never moved
 * back. The system call goes through the runtime's FFI like `thread_slice.ts`: the adapters (`deno.ts`,
 * `bun.ts`) open it and hand it to {@linkcode setThreadPolicy}. Where anything is missing (not Linux
 * x86-64 or arm64, Deno without `--allow-ffi`) nothing changes and nothing is reported.
 * @module
 */
import { niceInStat, statField } from "./thread_nice.ts";
import { type RawSyscall, schedSetattrNumber } from "./thread_slice.ts";

/** A scheduling policy below the normal one that a thread may take without privilege. */
export type ThreadPolicy = "batch" | "idle";

/** Linux's numbers of the policies (`SCHED_NORMAL` 0, `SCHED_BATCH` 3, `SCHED_IDLE` 5). */
export const SCHED_POLICY: Readonly<Record<"normal" | ThreadPolicy, number>> = {
  normal: 0,
  batch: 3,
  idle: 5,
};

/** The policy field of a thread's `stat` file (field 41, the 39th after the name). */
const STAT_POLICY_FIELD = 38;
/** `sizeof(struct sched_attr)` in its first version (SCHED_ATTR_SIZE_VER0), which every kernel takes. */
const SCHED_ATTR_SIZE = 48;

/**
 * The `stat` file of thread `tid` of this process, or of the calling thread for 0.
 *
 * @param tid a thread id of this process, 0 for the calling thread
 * @returns the path under `/proc`
 * @example
 * ```ts
 * import { threadStatPath } from "./thread_policy.ts";
 * console.log(threadStatPath(0)); // "/proc/thread-self/stat"
 * ```
 */
export function threadStatPath(tid: number): string {
  return tid === 0 ? "/proc/thread-self/stat" : `/proc/self/task/${tid}/stat`;
}

/**
 * The scheduling policy number of a thread (0 normal, 3 batch, 5 idle; see {@linkcode SCHED_POLICY}) from its
 * `stat` file, or undefined where it cannot be read (not Linux).
 *
 * @param statPath the thread's `stat` file (`/proc/<pid>/task/<tid>/stat`, `/proc/thread-self/stat`)
 * @returns the policy number
 * @example
 * ```ts
 * import { policyInStat } from "./thread_policy.ts";
 * console.log(policyInStat("/proc/thread-self/stat")); // 0 for a thread nobody moved; undefined off Linux
 * ```
 */
export function policyInStat(statPath: string): number | undefined {
  const policy = statField(statPath, STAT_POLICY_FIELD);
  return policy !== undefined && Number.isInteger(policy) ? policy : undefined;
}

/**
 * Moves thread `tid` (0: the calling thread) to `policy` through `syscall` (the adapter's FFI), keeping its
 * nice value (read from its `stat` file first: a thread reniced before keeps that value). Returns true
 * when the thread then runs under that policy, as its `stat` file reads back; never throws.
 *
 * @param syscall the C library's `syscall`
 * @param policy `"batch"` or `"idle"`
 * @param tid a thread id of this process, 0 for the calling thread
 * @returns whether the thread now runs under `policy`
 * @example
 * ```ts ignore
 * import { setThreadPolicy } from "./thread_policy.ts";
 * setThreadPolicy(libcSyscall, "batch"); // libcSyscall: opened by the runtime's adapter
 * ```
 */
export function setThreadPolicy(syscall: RawSyscall, policy: ThreadPolicy, tid = 0): boolean {
  const nr = schedSetattrNumber();
  const statPath = threadStatPath(tid);
  const nice = niceInStat(statPath);
  if (nr === undefined || nice === undefined) return false;
  if (policyInStat(statPath) === SCHED_POLICY[policy]) return true;
  const attr = new Uint8Array(SCHED_ATTR_SIZE);
  const view = new DataView(attr.buffer);
  view.setUint32(0, SCHED_ATTR_SIZE, true); // size
  view.setUint32(4, SCHED_POLICY[policy], true); // policy
  view.setBigUint64(8, 0n, true); // flags
  view.setInt32(16, nice, true); // the thread's own nice value: lowering it would need privilege
  // sched_runtime 0: the kernel's default slice.
  try {
    if (syscall(nr, tid, attr, 0) !== 0) return false;
  } catch {
    return false;
  }
  return policyInStat(statPath) === SCHED_POLICY[policy];
}
