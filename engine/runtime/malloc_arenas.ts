/**
 * Caps how many arenas glibc's allocator keeps: `mallopt(M_ARENA_MAX, n)` through the runtime's FFI.
 *
 * Why: glibc gives threads that contend for the allocator arenas of their own, up to 8 per core, and an
 * arena keeps the pages of the buffers freed in it for its own threads' later allocations. A Deno run has
 * many threads (its own, the run's, the pool's, Deno's Tokio and V8 threads): W3 ended with 12-15 arenas
 * holding 58-67 MB at its peak. Capped at 2 (`GLIBC_TUNABLES=glibc.malloc.arena_max=2` as the comparison),
 * 6 regions held 58 MB; called from inside the program, arenas that exist stay, and threads that would make
 * a new one share the existing ones instead (12 arenas -> 6 with six workers started after the call).
 *
 * Only under Deno on Linux with glibc and the FFI permission granted: Bun allocates with its own allocator
 * (mimalloc and JavaScriptCore's), not glibc's arenas, so there is nothing to cap there.
 * @module
 */
import { withDenoLibc } from "./deno_libc.ts";

/** glibc's `M_ARENA_MAX` (`malloc.h`). */
const M_ARENA_MAX = -8;

/** The arenas a CLI process keeps (`cli.ts`); README, "Small budgets, the C allocator": what it measured. */
export const CLI_MALLOC_ARENAS = 2;

/**
 * Caps glibc's arenas at `max` through Deno's FFI; false, and nothing changed, where that cannot be done
 * (not Deno on Linux, the FFI permission not granted, no glibc). The earlier in a process the better:
 * arenas made before the call stay.
 *
 * @param max the most arenas, at least 1
 * @returns whether glibc took the cap
 * @example
 * ```ts
 * import { CLI_MALLOC_ARENAS, limitDenoMallocArenas } from "./malloc_arenas.ts";
 * console.log(limitDenoMallocArenas(CLI_MALLOC_ARENAS)); // true under `deno run -A` on Linux
 * ```
 */
export function limitDenoMallocArenas(max: number): boolean {
  const arenas = Math.max(1, Math.floor(max));
  return withDenoLibc(
    { mallopt: { parameters: ["i32", "i32"], result: "i32" } },
    (libc) => libc.mallopt(M_ARENA_MAX, arenas) === 1,
  ) ?? false;
}
