/**
 * The C library through `bun:ffi`, the one way the Bun adapter reaches it (`thread_slice.ts`'s
 * `syscall`): opened for one use and closed again, as `deno_libc.ts` does under Deno, so that neither
 * runtime keeps a library open between the few calls a run makes.
 * @module
 */

import process from "node:process";

/** Bun's FFI module, named through a variable so that Deno's type check does not look for it. */
const BUN_FFI = "bun:ffi";
// deno-lint-ignore no-explicit-any
let ffi: Promise<any | null> | undefined;

/** `bun:ffi` (imported once per thread), or null where it cannot be imported (not Bun). */
// deno-lint-ignore no-explicit-any
function bunFfi(): Promise<any | null> {
  return ffi ??= import(BUN_FFI).catch(() => null);
}

/**
 * Opens glibc (`libc.so.6`) with the `symbols` that `define` makes of `bun:ffi`'s `FFIType`, calls `use`
 * with them and closes the library again. Resolves null, without calling `use`, where the library cannot
 * be opened (not Bun, not Linux, no glibc, a symbol missing).
 *
 * @param define the functions to open, as `bun:ffi`'s `dlopen` takes them, from `FFIType`
 * @param use what to do with them
 * @returns what `use` returns, or null
 * @example
 * ```ts ignore
 * import { withBunLibc } from "./bun_libc.ts";
 * const pid = await withBunLibc((t) => ({ getpid: { args: [], returns: t.i32 } }), (libc) => libc.getpid());
 * ```
 */
export async function withBunLibc<T>(
  // deno-lint-ignore no-explicit-any
  define: (type: any) => Record<string, { args: unknown[]; returns: unknown }>,
  // deno-lint-ignore no-explicit-any
  use: (libc: any) => T,
): Promise<T | null> {
  const bun = await bunFfi();
  if (!bun || process.platform !== "linux") return null;
  let lib;
  try {
    lib = bun.dlopen("libc.so.6", define(bun.FFIType));
  } catch {
    return null;
  }
  try {
    return use(lib.symbols);
  } finally {
    lib.close();
  }
}
