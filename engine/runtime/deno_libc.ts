/**
 * The C library through Deno's FFI, the one way the Deno adapter reaches it (`thread_slice.ts`'s
 * `syscall`, `malloc_trim.ts`): only on Linux, only where the FFI permission is granted
 * already (it is queried, never asked for: a run in a terminal with scoped permissions must not stop to ask
 * for something it does without), and the library is opened for one use and closed again (a library left
 * open is a leaked resource to `deno test`). `bun_libc.ts` is the same for Bun.
 * @module
 */

import type { PermissionDescriptor } from "./adapter.ts";

// deno-lint-ignore no-explicit-any
const Deno = (globalThis as any).Deno;

/**
 * Whether Deno grants `descriptor` already (querying never asks the user, unlike using it); false outside
 * Deno.
 *
 * @param descriptor the permission
 * @returns true when it is granted
 * @example
 * ```ts
 * import { granted } from "./deno_libc.ts";
 * console.log(granted({ name: "ffi" })); // true under `deno run -A`
 * ```
 */
export function granted(descriptor: PermissionDescriptor): boolean {
  try {
    return Deno?.permissions?.querySync?.(descriptor)?.state === "granted";
  } catch {
    return false;
  }
}

/**
 * Whether {@linkcode withDenoLibc} can open the C library here: Deno on Linux with the FFI permission
 * granted.
 *
 * @returns true when it can try (a libc other than glibc may still lack a symbol)
 * @example
 * ```ts
 * import { denoLibcReachable } from "./deno_libc.ts";
 * console.log(denoLibcReachable()); // true under `deno run -A` on Linux
 * ```
 */
export function denoLibcReachable(): boolean {
  return typeof Deno?.dlopen === "function" && Deno.build?.os === "linux" && granted({ name: "ffi" });
}

/**
 * Opens glibc (`libc.so.6`) with `symbols` (`Deno.dlopen`'s definitions), calls `use` with them and closes
 * the library again: at once, or when the promise `use` returns settles (a `nonblocking` call runs on
 * another thread meanwhile). Null, without calling `use`, where the library cannot be opened (not
 * {@linkcode denoLibcReachable}, no glibc, a symbol missing).
 *
 * @param symbols the functions to open, as `Deno.dlopen` takes them
 * @param use what to do with them
 * @returns what `use` returns, or null
 * @example
 * ```ts
 * import { withDenoLibc } from "./deno_libc.ts";
 * const pid = withDenoLibc({ getpid: { parameters: [], result: "i32" } }, (libc) => libc.getpid());
 * console.log(pid); // this process's id under `deno run -A` on Linux, else null
 * ```
 */
export function withDenoLibc<T>(
  symbols: Record<string, { parameters: string[]; result: string; nonblocking?: boolean }>,
  // deno-lint-ignore no-explicit-any
  use: (libc: any) => T,
): T | null {
  if (!denoLibcReachable()) return null;
  let lib;
  try {
    lib = Deno.dlopen("libc.so.6", symbols);
  } catch {
    // No glibc (musl), or a symbol it lacks.
    return null;
  }
  let result: T;
  try {
    result = use(lib.symbols);
  } catch (error) {
    lib.close();
    throw error;
  }
  if (result instanceof Promise) return result.finally(() => lib.close()) as T;
  lib.close();
  return result;
}
