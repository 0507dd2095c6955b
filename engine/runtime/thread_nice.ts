/**
 * A Linux thread's nice value, read from its `stat` file in `/proc`: what `thread_priority.ts` checks after
 * lowering a thread's priority and what `thread_slice.ts` must hand back unchanged to `sched_setattr`.
 * @module
 */
import { readFileSync } from "node:fs";

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
  try {
    const stat = readFileSync(statPath, "utf8");
    // The name in parentheses may hold spaces: count the fields after its closing parenthesis. The nice
    // value is field 19 of the file, the 17th after the name.
    const nice = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]);
    return Number.isInteger(nice) ? nice : undefined;
  } catch {
    return undefined;
  }
}
