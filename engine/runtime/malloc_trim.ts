/**
 * Hands the memory that the C allocator holds freed back to the system: glibc's `malloc_trim(0)`, called
 * through Deno's FFI on a thread of Deno's own (`nonblocking`), so the event loop is not held while it
 * walks the allocator's arenas (60-70 ms in W3).
 *
 * Why: under Deno the bodies, images and messages of a run live in buffers of the C allocator (glibc
 * malloc, in arenas shared by Deno's threads), which keeps the pages of freed buffers in the process
 * between allocations of other sizes. In W3 with `--max-memory 128MB` the resident size crept up by 20 MB
 * over the run while the V8 heaps stayed flat, and in W4 a trim took it from 200 back to 177 MB. Each trim
 * costs system time, since the pages given back are faulted in again when reused (trimming every 500 ms
 * added 2-3 s of system time to W3's ~10 s of CPU), so a run trims seldom (`engine/pipeline/runner.ts`).
 *
 * Only where it can work: Deno on Linux with glibc and the FFI permission granted (`-A` or `--allow-ffi`;
 * without it nothing is asked and nothing is trimmed).
 * @module
 */

import { denoLibcReachable, withDenoLibc } from "./deno_libc.ts";

type Trim = () => Promise<number>;

const MALLOC_TRIM = { malloc_trim: { parameters: ["usize"], result: "i32", nonblocking: true } };

/**
 * glibc's `malloc_trim(0)` through Deno's FFI, or undefined where that cannot work: not Deno, not Linux,
 * the FFI permission not granted (it is queried, never asked for), or no glibc. Each call opens the
 * library, trims on a thread of Deno's own, and closes the library again, so nothing stays open between
 * calls (`deno_libc.ts`).
 *
 * @returns a function that trims on another thread and resolves with glibc's answer (1: memory released)
 * @example
 * ```ts
 * import { openMallocTrim } from "./malloc_trim.ts";
 * const trim = openMallocTrim();
 * if (trim) await trim();
 * ```
 */
export function openMallocTrim(): Trim | undefined {
  // musl, or a libc without malloc_trim: nothing to trim with.
  if (!denoLibcReachable() || withDenoLibc(MALLOC_TRIM, () => true) === null) return undefined;
  return async () => (await withDenoLibc(MALLOC_TRIM, (libc) => libc.malloc_trim(0) as Promise<number>)) ?? 0;
}

/**
 * A trim that never overlaps itself: a call while the previous one runs returns that one.
 *
 * @returns the function a run calls periodically (see `RuntimeAdapter.releaseFreedMemory`), resolving when
 * the trim is over (never rejecting), or undefined where {@linkcode openMallocTrim} cannot work
 * @example
 * ```ts
 * import { mallocTrimmer } from "./malloc_trim.ts";
 * await mallocTrimmer()?.();
 * ```
 */
export function mallocTrimmer(): (() => Promise<void>) | undefined {
  const trim = openMallocTrim();
  if (!trim) return undefined;
  let running: Promise<void> | undefined;
  return () =>
    running ??= trim().then(() => {}, () => {}).finally(() => {
      running = undefined;
    });
}
