/**
 * NATS failures that pass, and the two ways sluice waits them out.
 *
 * One classification: {@linkcode isTransientNatsError} says whether a failure is one a moment later may not
 * meet (a request that timed out or found no responder while a node stopped and its clients reconnected, a
 * stream whose leader is being elected, a stream of three copies asked for before three servers have joined,
 * a node that is stopping and answers "jetstream is not enabled" for a moment). Two policies:
 * {@linkcode retryTransient} backs off (250 ms growing to 2 s) for up to 15 s, for a running job's operations;
 * `retryWhileForming` (`cluster_forming.ts`) retries every 250 ms for up to 10 s, for opening streams,
 * consumers and buckets when sluice starts. Only for operations that are safe to repeat (creates whose
 * second try is refused as "exists", writes of the same value, reads).
 * @module
 */

/** How long a transient failure is retried by default. */
export const TRANSIENT_RETRY_MS = 15_000;

/** The server's and the client's words for a failure that passes (see the module's description). */
const PASSING_NATS_FAILURE =
  /timeout|timed out|no responders|unavailable|leader|503|no suitable peers|disconnect|connection (closed|lost)|reconnect|jetstream (is )?not enabled/i;

/**
 * Whether `e` is a passing NATS failure (timeout, no responders, no leader, no peers yet, 503, disconnect).
 *
 * @example
 * ```ts
 * import { isTransientNatsError } from "./transient.ts";
 * console.log(isTransientNatsError(new Error("timeout"))); // true
 * console.log(isTransientNatsError(new Error("no suitable peers for placement"))); // true
 * console.log(isTransientNatsError(new Error("insufficient resources"))); // false
 * ```
 */
export function isTransientNatsError(e: unknown): boolean {
  return PASSING_NATS_FAILURE.test((e as Error)?.message ?? String(e));
}

/**
 * Runs `fn`, again after 250 ms (growing to 2 s) while it fails transiently, for up to `forMs`.
 *
 * @example
 * ```ts ignore
 * const entry = await retryTransient(() => kv.get("f.abc"));
 * ```
 */
export async function retryTransient<T>(fn: () => Promise<T>, forMs = TRANSIENT_RETRY_MS): Promise<T> {
  const deadline = Date.now() + forMs;
  for (let wait = 250;; wait = Math.min(2_000, wait * 2)) {
    try {
      return await fn();
    } catch (e) {
      if (!isTransientNatsError(e) || Date.now() + wait > deadline) throw e;
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}

/** How many deliveries of a unit (or a mailbox's message) a transient NATS failure may cost before it stops the job. */
export const TRANSIENT_JOB_DELIVERIES = 6;

/**
 * A NATS failure that a retry may not meet (a timeout, a leader election), here or as a cause.
 *
 * @example
 * ```ts
 * import { isTransientFailure } from "./transient.ts";
 * isTransientFailure(new Error("state", { cause: new Error("timeout") })); // true
 * ```
 */
export function isTransientFailure(e: unknown): boolean {
  for (let c: unknown = e, depth = 0; c && depth < 4; c = (c as Error).cause, depth++) {
    if (isTransientNatsError(c)) return true;
  }
  return false;
}
