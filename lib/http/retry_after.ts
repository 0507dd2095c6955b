/**
 * What the server asked for in `Retry-After`. (The back-off formula itself is the kernel's
 * `engine/kernel/backoff.ts`.)
 * @module
 */

/**
 * Parses a `Retry-After` header (delay in seconds, or an HTTP date) into milliseconds from `now`;
 * undefined when absent or unreadable. A date in the past gives 0.
 *
 * @example
 * ```ts
 * import { parseRetryAfter } from "./retry_after.ts";
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
