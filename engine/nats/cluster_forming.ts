/**
 * Opening streams, consumers and buckets while a cluster may still be forming: JetStream's answers then
 * (no leader yet, no responders, "no suitable peers for placement" before three servers have joined) become
 * normal answers a moment later. Which failures pass is `transient.ts`'s one classification; this is the
 * policy for start-up.
 * @module
 */
import { isTransientNatsError } from "./transient.ts";

/**
 * Whether `error` is one JetStream gives while its cluster forms or elects a leader (a passing failure,
 * {@linkcode isTransientNatsError}), to retry rather than report.
 *
 * @example
 * ```ts
 * import { isClusterForming } from "./cluster_forming.ts";
 * console.log(isClusterForming(new Error("no suitable peers for placement"))); // true
 * console.log(isClusterForming(new Error("stream name already in use"))); // false
 * ```
 */
export function isClusterForming(error: unknown): boolean {
  return isTransientNatsError(error);
}

/**
 * Calls `fn` until it succeeds, waiting 250 ms after each failure that {@linkcode isClusterForming} calls
 * the cluster forming, for up to 10 s; any other failure, or the 41st, is thrown.
 *
 * @example
 * ```ts
 * import { retryWhileForming } from "./cluster_forming.ts";
 * let calls = 0;
 * const answer = await retryWhileForming(() =>
 *   ++calls < 2 ? Promise.reject(new Error("no responders")) : Promise.resolve("ok")
 * );
 * console.log(answer, calls); // ok 2
 * ```
 */
export async function retryWhileForming<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0;; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (attempt >= 40 || !isClusterForming(e)) throw e;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
