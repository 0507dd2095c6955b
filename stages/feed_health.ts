/**
 * Per-feed health as pure functions over FeedState: what a success or a failure does to the
 * state, the exponential back-off, and whether a feed is due. The FeedStateBook (feed_state.ts)
 * applies them inside the store's atomic update, so the policy is the same whatever the storage.
 * @module
 */
import { backoffDelay } from "../engine/kernel/backoff.ts";

/**
 * Health and validators of one feed.
 *
 * @example
 * ```ts
 * const s: FeedState = { etag: '"abc"', consecutiveFailures: 0 };
 * ```
 */
export interface FeedState {
  /** ETag of the last 200 response, sent back as `If-None-Match`; undefined when the server gave none. */
  etag?: string;
  /** Last-Modified of the last 200 response, sent back as `If-Modified-Since`; undefined when none. */
  lastModified?: string;
  /** ISO time of the last successful fetch (200 or 304). */
  lastSuccess?: string;
  /** ISO time of the last attempt. */
  lastAttempt?: string;
  /** Failures in a row since the last success. */
  consecutiveFailures: number;
  /** ISO time before which the feed is not fetched again (back-off after failures). */
  nextAttemptAfter?: string;
  /** Reason of the last failure. */
  lastError?: string;
  /** Feed title, for `cli.ts state`. */
  title?: string;
}

/**
 * What a successful fetch tells the store. `undefined` keeps the stored value (a 304 carries no new
 * validators), `null` clears it (a 200 without an ETag).
 *
 * @example
 * ```ts
 * const ok: FetchSuccess = { etag: '"v2"', lastModified: null, title: "Example" };
 * ```
 */
export interface FetchSuccess {
  /** The response's ETag: a string stores it, `null` clears it, undefined keeps the stored one. */
  etag?: string | null;
  /** The response's Last-Modified: a string stores it, `null` clears it, undefined keeps the stored one. */
  lastModified?: string | null;
  /** The feed's title, shown by `cli.ts state`: a string stores it, `null` clears it, undefined keeps it. */
  title?: string | null;
}

/**
 * Whether a feed is due, and why not when it is not.
 *
 * @example
 * ```ts
 * const d: FetchDecision = { fetch: false, reason: "backing off after 4 failures" };
 * ```
 */
export interface FetchDecision {
  /** True when the feed is due now; false while it backs off after failures. */
  fetch: boolean;
  /** Why the feed is skipped (set when `fetch` is false). */
  reason?: string;
  /** When the feed is due again, as an ISO 8601 time (set when `fetch` is false). */
  until?: string;
}

/**
 * How long a failing feed rests. After `freeFailures` failures in a row the feed is not fetched for
 * `baseMs * 2^(failures - freeFailures - 1)`, capped at `maxMs`.
 *
 * @example
 * ```ts
 * const patient: BackoffPolicy = { freeFailures: 2, baseMs: 30 * 60_000, maxMs: 24 * 3_600_000 };
 * ```
 */
export interface BackoffPolicy {
  /** Failures in a row that cost nothing (a flaky server gets retried on the next tick). */
  freeFailures: number;
  /** The first wait. */
  baseMs: number;
  /** The longest wait. */
  maxMs: number;
}

/**
 * The default: the 3rd failure in a row waits 30 min, the 4th 1 h, the 5th 2 h, ... at most 24 h.
 *
 * @example
 * ```ts
 * import { DEFAULT_BACKOFF, backoffMs } from "./feed_health.ts";
 * backoffMs(3, DEFAULT_BACKOFF); // 1_800_000
 * ```
 */
export const DEFAULT_BACKOFF: Readonly<BackoffPolicy> = Object.freeze({
  freeFailures: 2,
  baseMs: 30 * 60_000,
  maxMs: 24 * 60 * 60_000,
});

/**
 * The wait after `failures` failures in a row (0 while they are free).
 *
 * @example
 * ```ts
 * import { DEFAULT_BACKOFF, backoffMs } from "./feed_health.ts";
 * backoffMs(2, DEFAULT_BACKOFF); // 0
 * backoffMs(4, DEFAULT_BACKOFF); // 3_600_000
 * backoffMs(40, DEFAULT_BACKOFF); // 86_400_000 (the cap)
 * ```
 */
export function backoffMs(failures: number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  const over = failures - policy.freeFailures;
  if (over <= 0) return 0;
  return backoffDelay(over, { baseMs: policy.baseMs, maxMs: policy.maxMs, jitter: false });
}

/**
 * A copy of `state` without keys whose value is undefined (so every adapter stores the same shape).
 *
 * @example
 * ```ts
 * import { compactState } from "./feed_health.ts";
 * compactState({ consecutiveFailures: 0, etag: undefined }); // { consecutiveFailures: 0 }
 * ```
 */
export function compactState(state: FeedState): FeedState {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(state)) if (v !== undefined) out[k] = v;
  return out as unknown as FeedState;
}

/**
 * `patch` merged into `state` (or a fresh state); keys patched to undefined are removed.
 *
 * @example
 * ```ts
 * import { mergeState } from "./feed_health.ts";
 * mergeState(undefined, { etag: '"a"' }); // { consecutiveFailures: 0, etag: '"a"' }
 * ```
 */
export function mergeState(state: FeedState | undefined, patch: Partial<FeedState>): FeedState {
  return compactState({ consecutiveFailures: 0, ...state, ...patch });
}

/**
 * The state after a successful fetch at `now`: failures and back-off cleared, validators updated.
 *
 * @example
 * ```ts
 * import { applySuccess } from "./feed_health.ts";
 * applySuccess(undefined, { etag: '"v1"' }, new Date(0)).etag; // '"v1"'
 * ```
 */
export function applySuccess(state: FeedState | undefined, info: FetchSuccess, now: Date): FeedState {
  const at = now.toISOString();
  const patch: Partial<FeedState> = {
    consecutiveFailures: 0,
    lastSuccess: at,
    lastAttempt: at,
    nextAttemptAfter: undefined,
    lastError: undefined,
  };
  for (const key of ["etag", "lastModified", "title"] as const) {
    const value = info[key];
    if (value === null) patch[key] = undefined;
    else if (value !== undefined) patch[key] = value;
  }
  return mergeState(state, patch);
}

/**
 * The state after a failed fetch at `now`, with `nextAttemptAfter` set by `policy`.
 *
 * @example
 * ```ts
 * import { applyFailure } from "./feed_health.ts";
 * applyFailure(undefined, "HTTP 500", new Date(0)).consecutiveFailures; // 1
 * ```
 */
export function applyFailure(
  state: FeedState | undefined,
  reason: string,
  now: Date,
  policy: BackoffPolicy = DEFAULT_BACKOFF,
): FeedState {
  const failures = (state?.consecutiveFailures ?? 0) + 1;
  const wait = backoffMs(failures, policy);
  return mergeState(state, {
    consecutiveFailures: failures,
    lastAttempt: now.toISOString(),
    lastError: reason,
    nextAttemptAfter: wait > 0 ? new Date(now.getTime() + wait).toISOString() : undefined,
  });
}

/**
 * Whether a feed in `state` is due at `now`: yes unless it is backing off.
 *
 * @example
 * ```ts
 * import { fetchDecision } from "./feed_health.ts";
 * fetchDecision({ consecutiveFailures: 3, nextAttemptAfter: "2100-01-01T00:00:00.000Z" }, new Date()).fetch;
 * // false
 * ```
 */
export function fetchDecision(state: FeedState | undefined, now: Date): FetchDecision {
  const after = state?.nextAttemptAfter;
  if (!after || Date.parse(after) <= now.getTime()) return { fetch: true };
  const why = state?.lastError ? ` (last error: ${state.lastError})` : "";
  return {
    fetch: false,
    until: after,
    reason: `backing off after ${state?.consecutiveFailures ?? 0} failures in a row until ${after}${why}`,
  };
}
