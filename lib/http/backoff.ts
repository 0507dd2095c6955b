/**
 * How long to wait before retrying a request: exponential backoff with jitter, or what the server asked
 * for in `Retry-After` (capped). The formula and the abortable wait are the pipeline's own
 * (`engine/pipeline/retry.ts`); this module only adapts them to the fetcher's 0-based attempts.
 * @module
 */
import { backoffDelay as pipelineBackoff } from "../../engine/pipeline/retry.ts";
export { sleep } from "../../engine/pipeline/retry.ts";

/**
 * The delay before retry number `attempt` (0 for the first retry): `baseMs * 2^attempt`, capped at
 * `maxMs`, then scaled by a random factor in [0.5, 1) so many clients that failed together do not retry
 * together.
 *
 * @example
 * ```ts
 * import { backoffDelay } from "./backoff.ts";
 * backoffDelay(2, { baseMs: 500, maxMs: 30_000 }, () => 0.999); // just under 2000
 * ```
 */
export function backoffDelay(
  attempt: number,
  limits: { baseMs: number; maxMs: number },
  random: () => number = Math.random,
): number {
  return pipelineBackoff(
    { attempts: Infinity, backoffMs: limits.baseMs, maxBackoffMs: limits.maxMs },
    attempt + 1,
    random,
  );
}

/**
 * Parses a `Retry-After` header (delay in seconds, or an HTTP date) into milliseconds from `now`;
 * undefined when absent or unreadable. A date in the past gives 0.
 *
 * @example
 * ```ts
 * import { parseRetryAfter } from "./backoff.ts";
 * parseRetryAfter("120"); // 120000
 * parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", Date.parse("2015-10-21T07:27:00Z")); // 60000
 * ```
 */
export function parseRetryAfter(header: string | null | undefined, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
