/**
 * The in-memory state store: everything in Maps, gone when the process ends. For tests and dry runs.
 * @module
 */
import {
  applyFailure,
  applySuccess,
  type BackoffPolicy,
  DEFAULT_BACKOFF,
  fetchDecision,
  mergeState,
} from "./feed_health.ts";
import {
  type DeliveryRecord,
  feedKey,
  type FeedState,
  type FetchDecision,
  type FetchSuccess,
  type KeyValueEntry,
  leaseClaimable,
  type LeaseClaimOptions,
  type LeaseRecord,
  type SendingKey,
  type SendingRecord,
  type StateStore,
  StateStoreError,
} from "./store.ts";

interface Delivery {
  folder?: string;
  messageId?: string;
  at: string;
  seen: boolean;
}

interface FeedRecord {
  state: FeedState;
  delivered: Map<string, Delivery>;
}

/**
 * A {@linkcode StateStore} held in memory.
 *
 * @example
 * ```ts
 * import { MemoryStore } from "./memory_store.ts";
 * const store = new MemoryStore();
 * await store.markDelivered("https://x/feed", "id-1");
 * await store.isDelivered("https://x/feed", "id-1"); // true
 * await store.close();
 * ```
 */
export class MemoryStore implements StateStore {
  readonly description = "memory:";
  #feeds = new Map<string, FeedRecord>();
  /** "sending" marks by {@linkcode sendingKey}; apart from `#feeds`: a mark is no delivery. */
  #sending = new Map<string, Required<SendingRecord>>();
  #closed = false;
  #lease: LeaseRecord | undefined;
  /** Key/value records as JSON text, so a caller never shares an object with the store. */
  #values = new Map<string, string>();
  #backoff: BackoffPolicy;

  /**
   * Creates an empty in-memory store; its contents are lost when the process ends.
   *
   * @param options `backoff`: the failure back-off policy (default {@linkcode DEFAULT_BACKOFF})
   */
  constructor(options: { backoff?: BackoffPolicy } = {}) {
    this.#backoff = options.backoff ?? DEFAULT_BACKOFF;
  }

  /** Runs `fn` unless the store is closed, as a promise like the other adapters. */
  #use<T>(fn: () => T): Promise<T> {
    if (this.#closed) {
      return Promise.reject(
        new StateStoreError("E_STATE_CLOSED", "memory: state store used after close()", "open a new store"),
      );
    }
    return Promise.resolve(fn());
  }

  #feed(url: string): FeedRecord {
    let feed = this.#feeds.get(url);
    if (!feed) this.#feeds.set(url, feed = { state: { consecutiveFailures: 0 }, delivered: new Map() });
    return feed;
  }

  #record(url: string, entries: Iterable<DeliveryRecord>, seen: boolean): void {
    const delivered = this.#feed(url).delivered;
    const at = new Date().toISOString();
    for (const e of entries) {
      if (!delivered.has(e.id)) delivered.set(e.id, { folder: e.folder, messageId: e.messageId, at, seen });
      this.#sending.delete(sendingKey(url, e.id));
    }
  }

  get<T = unknown>(key: string): Promise<T | undefined> {
    return this.#use(() => {
      const text = this.#values.get(key);
      return text === undefined ? undefined : JSON.parse(text) as T;
    });
  }

  set(key: string, value: unknown): Promise<void> {
    return this.#use(() => void this.#values.set(key, JSON.stringify(value)));
  }

  delete(key: string): Promise<void> {
    return this.#use(() => void this.#values.delete(key));
  }

  list<T = unknown>(prefix: string): Promise<Array<KeyValueEntry<T>>> {
    return this.#use(() =>
      [...this.#values].filter(([key]) => key.startsWith(prefix))
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([key, text]) => ({ key, value: JSON.parse(text) as T }))
    );
  }

  update<T>(key: string, change: (current: T | undefined) => T): Promise<T> {
    return this.#use(() => {
      const text = this.#values.get(key);
      const next = change(text === undefined ? undefined : JSON.parse(text) as T);
      this.#values.set(key, JSON.stringify(next));
      return JSON.parse(JSON.stringify(next)) as T;
    });
  }

  getFeed(feedUrl: string): Promise<FeedState | undefined> {
    feedUrl = feedKey(feedUrl);
    return this.#use(() => {
      const state = this.#feeds.get(feedUrl)?.state;
      return state && { ...state };
    });
  }

  updateFeed(feedUrl: string, patch: Partial<FeedState>): Promise<void> {
    feedUrl = feedKey(feedUrl);
    return this.#use(() => {
      const feed = this.#feed(feedUrl);
      feed.state = mergeState(feed.state, patch);
    });
  }

  isDelivered(feedUrl: string, entryId: string): Promise<boolean> {
    feedUrl = feedKey(feedUrl);
    return this.#use(() => this.#feeds.get(feedUrl)?.delivered.has(entryId) ?? false);
  }

  markDelivered(
    feedUrl: string,
    entryId: string,
    info: { folder?: string; messageId?: string } = {},
  ): Promise<void> {
    feedUrl = feedKey(feedUrl);
    return this.#use(() => this.#record(feedUrl, [{ id: entryId, ...info }], false));
  }

  markDeliveredMany(feedUrl: string, entries: DeliveryRecord[]): Promise<void> {
    feedUrl = feedKey(feedUrl);
    return this.#use(() => this.#record(feedUrl, entries, false));
  }

  markAllSeen(feedUrl: string, ids: string[]): Promise<void> {
    feedUrl = feedKey(feedUrl);
    return this.#use(() => this.#record(feedUrl, ids.map((id) => ({ id })), true));
  }

  filterUndelivered(feedUrl: string, ids: string[]): Promise<string[]> {
    feedUrl = feedKey(feedUrl);
    return this.#use(() => {
      const delivered = this.#feeds.get(feedUrl)?.delivered;
      const unique = [...new Set(ids)];
      return delivered ? unique.filter((id) => !delivered.has(id)) : unique;
    });
  }

  deliveredCount(feedUrl?: string): Promise<number> {
    if (feedUrl !== undefined) feedUrl = feedKey(feedUrl);
    return this.#use(() => {
      if (feedUrl !== undefined) return this.#feeds.get(feedUrl)?.delivered.size ?? 0;
      let n = 0;
      for (const feed of this.#feeds.values()) n += feed.delivered.size;
      return n;
    });
  }

  listFeeds(): Promise<Array<{ url: string; state: FeedState; delivered: number }>> {
    return this.#use(() =>
      [...this.#feeds.keys()].sort().map((url) => {
        const feed = this.#feeds.get(url)!;
        return { url, state: { ...feed.state }, delivered: feed.delivered.size };
      })
    );
  }

  forgetFeed(feedUrl: string): Promise<void> {
    feedUrl = feedKey(feedUrl);
    return this.#use(() => {
      this.#feeds.delete(feedUrl);
      for (const [key, mark] of this.#sending) if (mark.feedUrl === feedUrl) this.#sending.delete(key);
    });
  }

  markSending(entries: SendingRecord[]): Promise<void> {
    entries = entries.map((e) => ({ ...e, feedUrl: feedKey(e.feedUrl) }));
    return this.#use(() => {
      const at = new Date().toISOString();
      for (const { feedUrl, id, folder, messageId } of entries) {
        const key = sendingKey(feedUrl, id);
        // Re-inserted so that the Map's order stays the order of the marks' times.
        this.#sending.delete(key);
        this.#sending.set(key, { feedUrl, id, folder, messageId, at });
      }
    });
  }

  clearSending(entries: SendingKey[]): Promise<void> {
    entries = entries.map((e) => ({ ...e, feedUrl: feedKey(e.feedUrl) }));
    return this.#use(() => {
      for (const e of entries) this.#sending.delete(sendingKey(e.feedUrl, e.id));
    });
  }

  listSending(): Promise<SendingRecord[]> {
    return this.#use(() => [...this.#sending.values()].map((mark) => ({ ...mark })));
  }

  recordSuccess(feedUrl: string, info: FetchSuccess = {}, now: Date = new Date()): Promise<FeedState> {
    feedUrl = feedKey(feedUrl);
    return this.#use(() => {
      const feed = this.#feed(feedUrl);
      feed.state = applySuccess(feed.state, info, now);
      return { ...feed.state };
    });
  }

  recordFailure(feedUrl: string, reason: string, now: Date = new Date()): Promise<FeedState> {
    feedUrl = feedKey(feedUrl);
    return this.#use(() => {
      const feed = this.#feed(feedUrl);
      feed.state = applyFailure(feed.state, reason, now, this.#backoff);
      return { ...feed.state };
    });
  }

  shouldFetch(feedUrl: string, now: Date = new Date()): Promise<FetchDecision> {
    feedUrl = feedKey(feedUrl);
    return this.#use(() => fetchDecision(this.#feeds.get(feedUrl)?.state, now));
  }

  claimLease(lease: LeaseRecord, options: LeaseClaimOptions = {}): Promise<LeaseRecord> {
    return this.#use(() => {
      if (!leaseClaimable(this.#lease, lease, options)) return { ...this.#lease! };
      this.#lease = { ...lease };
      return { ...lease };
    });
  }

  releaseLease(token: string): Promise<void> {
    return this.#use(() => {
      if (this.#lease?.token === token) this.#lease = undefined;
    });
  }

  readLease(): Promise<LeaseRecord | undefined> {
    return this.#use(() => this.#lease && { ...this.#lease });
  }

  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }
}

/** One Map key for a feed and an entry id (a JSON pair: no separator can clash with their text). */
function sendingKey(feedUrl: string, id: string): string {
  return JSON.stringify([feedUrl, id]);
}
