/**
 * The one back-off formula of sluice, and the abortable wait that goes with it. Retries are counted from
 * 1 everywhere (the first retry waits `baseMs`): stage retries, the owner's reconnects, the fetcher's
 * retries and the back-off of a failing feed.
 * @module
 */

/**
 * How a delay grows: `baseMs` before the first retry, doubling after, capped at `maxMs`; with `jitter`
 * (default true) scaled by a random factor in [0.5, 1) so clients that failed together do not retry
 * together.
 *
 * @example
 * ```ts
 * const limits: BackoffLimits = { baseMs: 500, maxMs: 30_000, jitter: false };
 * ```
 */
export interface BackoffLimits {
  /** The delay before the first retry, in ms. */
  baseMs: number;
  /** The longest delay, in ms. Default 30 s. */
  maxMs?: number;
  /** Scale by a random factor in [0.5, 1). Default true. */
  jitter?: boolean;
}

/**
 * The delay before retry number `retry` (1 for the first retry): `baseMs * 2^(retry-1)`, capped at
 * `maxMs`, then jittered unless `jitter` is false.
 *
 * @example
 * ```ts
 * import { backoffDelay } from "./backoff.ts";
 * backoffDelay(1, { baseMs: 100, jitter: false }); // 100
 * backoffDelay(3, { baseMs: 100, jitter: false }); // 400
 * backoffDelay(3, { baseMs: 100 }, () => 0); // 200 (half, the least jitter gives)
 * ```
 */
export function backoffDelay(
  retry: number,
  limits: BackoffLimits,
  random: () => number = Math.random,
): number {
  const cap = limits.maxMs ?? 30_000;
  // 2 ** 60 is already far past any cap; clamping the exponent keeps the number finite.
  const base = Math.min(cap, limits.baseMs * 2 ** Math.min(Math.max(retry - 1, 0), 60));
  return limits.jitter === false ? base : Math.round(base * (0.5 + random() / 2));
}

/**
 * Sleeps `ms`, rejecting with the signal's reason when it aborts (and clearing the timer).
 *
 * @example
 * ```ts
 * import { sleep } from "./backoff.ts";
 * await sleep(10);
 * ```
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
