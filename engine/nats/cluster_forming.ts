/**
 * JetStream's answers while a cluster is still forming or electing, which a moment later become normal
 * answers: a request to retry rather than to report.
 * @module
 */

/**
 * Whether `error` is one JetStream gives while its cluster forms or elects a leader: no leader yet, a
 * request timed out or found no responder, or "no suitable peers for placement" (a stream of three copies
 * asked for before all three servers have joined JetStream's meta group, as when sluice starts right after
 * its servers do).
 *
 * @example
 * ```ts
 * import { isClusterForming } from "./cluster_forming.ts";
 * console.log(isClusterForming(new Error("no suitable peers for placement"))); // true
 * console.log(isClusterForming(new Error("stream name already in use"))); // false
 * ```
 */
export function isClusterForming(error: unknown): boolean {
  const message = (error as Error)?.message ?? "";
  return /unavailable|timeout|no responders|leader|503|no suitable peers/i.test(message);
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
