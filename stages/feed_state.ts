/**
 * What the feed stages remember of each feed (conditional-GET validators, title, failures and back-off),
 * kept on the generic key/value part of the state store: one JSON value per feed under `feed/` + the
 * URL without credentials. The engine's store knows nothing of feeds; this book is their one reader and
 * writer (feeds, fetch, parse, the delivery ledger's commit, `cli.ts state`).
 * @module
 */
import { type LedgerScope, scopeKey, type StateStore } from "../engine/state/mod.ts";
import {
  applyFailure,
  applySuccess,
  type BackoffPolicy,
  DEFAULT_BACKOFF,
  type FeedState,
  type FetchDecision,
  fetchDecision,
  type FetchSuccess,
  mergeState,
} from "./feed_health.ts";
import { EntryVersionBook } from "./entry_versions.ts";

/** The key prefix of the feed records in the store's key/value part. */
export const FEED_KEY_PREFIX = "feed/";

/**
 * One feed as {@linkcode FeedStateBook.listFeeds} shows it.
 *
 * @example
 * ```ts
 * const f: FeedListing = { url: "https://x/feed", state: { consecutiveFailures: 0 }, delivered: 3 };
 * ```
 */
export interface FeedListing {
  /** The feed URL, without credentials. */
  url: string;
  /** Its record (a fresh one for a feed known only from delivered ids). */
  state: FeedState;
  /** Delivered and seen entries of the feed. */
  delivered: number;
}

/**
 * The feed records over a {@linkcode StateStore}: each a read or one atomic update of one key, so a feed
 * costs the same store round trips as when the store kept them itself.
 *
 * @example
 * ```ts
 * import { MemoryStore } from "../engine/state/mod.ts";
 * import { FeedStateBook } from "./feed_state.ts";
 * const store = new MemoryStore();
 * const book = new FeedStateBook(store);
 * await book.recordFailure("https://x/feed", "HTTP 500");
 * console.log((await book.getFeed("https://x/feed"))?.consecutiveFailures); // 1
 * console.log((await book.shouldFetch("https://x/feed")).fetch); // true (the first failures are free)
 * await store.close();
 * ```
 */
export class FeedStateBook {
  /** The store the records live in. */
  readonly store: StateStore;
  #backoff: BackoffPolicy;

  /**
   * A book over `store`; `backoff` is the failure back-off policy (default {@linkcode DEFAULT_BACKOFF}).
   *
   * @param store the run's state store
   * @param options `backoff`: how long failing feeds rest
   */
  constructor(store: StateStore, options: { backoff?: BackoffPolicy } = {}) {
    this.store = store;
    this.#backoff = options.backoff ?? DEFAULT_BACKOFF;
  }

  /** The feed's stored state, or undefined if never recorded. */
  getFeed(feedUrl: string): Promise<FeedState | undefined> {
    return this.store.get<FeedState>(feedRecordKey(feedUrl));
  }

  /** Merges `patch` into the feed's state (creating it); a key set to `undefined` is removed. */
  async updateFeed(feedUrl: string, patch: Partial<FeedState>): Promise<void> {
    await this.store.update<FeedState>(feedRecordKey(feedUrl), (state) => mergeState(state, patch));
  }

  /** A fetch succeeded (200 or 304): resets failures and back-off, stores validators and title. */
  recordSuccess(feedUrl: string, info: FetchSuccess = {}, now: Date = new Date()): Promise<FeedState> {
    return this.store.update<FeedState>(feedRecordKey(feedUrl), (state) => applySuccess(state, info, now));
  }

  /** A fetch failed: counts it and sets `nextAttemptAfter` by the book's back-off policy. */
  recordFailure(feedUrl: string, reason: string, now: Date = new Date()): Promise<FeedState> {
    return this.store.update<FeedState>(
      feedRecordKey(feedUrl),
      (state) => applyFailure(state, reason, now, this.#backoff),
    );
  }

  /** Whether the feed is due at `now` (false while backing off). */
  async shouldFetch(feedUrl: string, now: Date = new Date()): Promise<FetchDecision> {
    return fetchDecision(await this.getFeed(feedUrl), now);
  }

  /** Every feed with a record or delivered ids, with its state and delivered count, sorted by URL. */
  async listFeeds(): Promise<FeedListing[]> {
    const [records, scopes] = await Promise.all([
      this.store.list<FeedState>(FEED_KEY_PREFIX),
      this.store.listScopes(),
    ]);
    const counts = new Map(scopes.map((s: LedgerScope) => [s.scope, s.delivered]));
    const feeds = new Map<string, FeedListing>();
    for (const { key, value } of records) {
      const url = key.slice(FEED_KEY_PREFIX.length);
      feeds.set(url, { url, state: value, delivered: counts.get(url) ?? 0 });
    }
    for (const [url, delivered] of counts) {
      if (!feeds.has(url)) feeds.set(url, { url, state: { consecutiveFailures: 0 }, delivered });
    }
    return [...feeds.values()].sort((a, b) => (a.url < b.url ? -1 : a.url > b.url ? 1 : 0));
  }

  /** Removes a feed's state, delivered ids, "sending" marks and entry versions (`on-update`). */
  async forgetFeed(feedUrl: string): Promise<void> {
    await this.store.forgetScope(feedUrl);
    await this.store.delete(feedRecordKey(feedUrl));
    await new EntryVersionBook(this.store).forget(feedUrl);
  }
}

/**
 * The key of a feed's record: {@linkcode FEED_KEY_PREFIX} and the URL without credentials.
 *
 * @example
 * ```ts
 * import { feedRecordKey } from "./feed_state.ts";
 * feedRecordKey("https://bob:pw@x.org/feed"); // "feed/https://***:***@x.org/feed"
 * ```
 */
export function feedRecordKey(feedUrl: string): string {
  return FEED_KEY_PREFIX + scopeKey(feedUrl);
}
