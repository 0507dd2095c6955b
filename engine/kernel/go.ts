/**
 * `go(fn)`: start a task, like Go's `go` statement, and get its result as a promise.
 * @module
 */

/**
 * Starts `fn` as a separate task on a later microtask (the caller keeps running first) and returns
 * its outcome. A failure is never swallowed: if nobody handles the returned promise, the runtime
 * reports it as an unhandled rejection (Deno and Bun then exit with an error by default).
 *
 * @param fn the task body
 * @returns what `fn` returns (or throws)
 * @example
 * ```ts
 * import { chan } from "./channel.ts";
 * import { go } from "./go.ts";
 * const ch = chan<number>();
 * go(async () => { await ch.send(42); });
 * console.log((await ch.recv()).value); // 42
 * ```
 */
export function go<T>(fn: () => T | Promise<T>): Promise<T> {
  return Promise.resolve().then(fn);
}
