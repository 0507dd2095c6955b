/**
 * The state-store contract: what sluice remembers between runs (conditional-GET validators, delivered
 * entry ids, per-feed health). Adapters: node:sqlite (default), Deno KV, in-memory (tests).
 * @module
 */

/**
 * Health and validators of one feed.
 *
 * @example
 * ```ts
 * const s: FeedState = { etag: '"abc"', consecutiveFailures: 0 };
 * ```
 */
export interface FeedState {
  etag?: string;
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
 * Where delivered entry ids, feed validators and health live.
 *
 * @example
 * ```ts
 * async function seen(store: StateStore) {
 *   if (!(await store.isDelivered("https://x/feed", "id-1"))) {
 *     await store.markDelivered("https://x/feed", "id-1", { folder: "News" });
 *   }
 * }
 * ```
 */
export interface StateStore {
  /** The feed's stored state, or undefined if never seen. */
  getFeed(feedUrl: string): Promise<FeedState | undefined>;
  /** Merges `patch` into the feed's state (creating it). */
  updateFeed(feedUrl: string, patch: Partial<FeedState>): Promise<void>;
  /** Whether the entry was already delivered. */
  isDelivered(feedUrl: string, entryId: string): Promise<boolean>;
  /** Records a confirmed delivery. Idempotent. */
  markDelivered(feedUrl: string, entryId: string, info?: { folder?: string; messageId?: string }): Promise<void>;
  /** Number of delivered entries, for one feed or all. */
  deliveredCount(feedUrl?: string): Promise<number>;
  /** Every known feed with its state and delivered count. */
  listFeeds(): Promise<Array<{ url: string; state: FeedState; delivered: number }>>;
  /** Removes a feed's state and delivered ids. */
  forgetFeed(feedUrl: string): Promise<void>;
  /** Releases the store (files, handles). */
  close(): Promise<void>;
}
