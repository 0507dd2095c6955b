/**
 * A Linux thread's nice value, read from its `stat` file in `/proc`: what `thread_priority.ts` checks after
 * lowering a thread's priority and what `thread_slice.ts` and `thread_policy.ts` must hand back unchanged to
 * `sched_setattr` (`thread_policy.ts` also reads the policy field through {@linkcode statField}).
 * @module
 */
import { readFileSyncOnUse } from "./node_fs_on_use.ts";

/**
 * The nice value in a thread's `stat` file (`/proc/self/task/TID/stat`, `/proc/thread-self/stat`), or
 * undefined where it cannot be read (not Linux).
 *
 * @param statPath the file
 * @returns the nice value (-20..19)
 * @example
 * ```ts
 * import { niceInStat } from "./thread_nice.ts";
 * console.log(niceInStat("/proc/thread-self/stat")); // 0 for a thread nobody reniced; undefined off Linux
 * ```
 */
export function niceInStat(statPath: string): number | undefined {
  // The nice value is field 19 of the file, the 17th after the name.
  const nice = statField(statPath, 16);
  return nice !== undefined && Number.isInteger(nice) ? nice : undefined;
}

/**
 * Field `index` (0-based) of the fields after the name in a thread's `stat` file, as a number: 16 is the
 * nice value, 38 the scheduling policy (see `proc(5)`, fields 19 and 41). Undefined where the file cannot
 * be read or the field is not a number.
 *
 * @param statPath the file
 * @param index the field's index after the name
 * @returns the field's value
 * @example
 * ```ts
 * import { statField } from "./thread_nice.ts";
 * console.log(statField("/proc/thread-self/stat", 38)); // 0: the normal policy; undefined off Linux
 * ```
 */
export function statField(statPath: string, index: number): number | undefined {
  try {
    const stat = readFileSyncOnUse(statPath, "utf8");
    // The name in parentheses may hold spaces: count the fields after its closing parenthesis.
    const value = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[index]);
    return Number.isFinite(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
