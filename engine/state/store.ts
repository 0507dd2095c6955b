/**
 * The state-store contract: what sluice remembers between runs (conditional-GET validators, delivered
 * entry ids, per-feed health, and the "sending" marks of messages handed to a mailbox whose outcome is
 * not recorded yet), and the run lease that keeps two runs off one state. Adapters: node:sqlite
 * (default), Deno KV, in-memory (tests).
 *
 * Feed URLs are stored as {@linkcode redactUrl} shows them: a password, user name or token in a feed URL
 * is never written to state (two feeds that differ only by their credentials share one record).
 *
 * An adapter implements three small parts: the feed records (validators, health), the delivery ledger
 * (delivered/seen ids and "sending" marks) and the lease ({@linkcode LeaseStore.claimLease},
 * {@linkcode StateStore.releaseLease}, {@linkcode StateStore.readLease}: one compare-and-set record;
 * `lease.ts` builds waiting, takeover of a dead holder and renewal on top of it).
 * @module
 */
import { redactUrl, SluiceError } from "../errors.ts";

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
 * One delivered (or seen) entry for {@linkcode StateStore.markDeliveredMany}.
 *
 * @example
 * ```ts
 * const d: DeliveryRecord = { id: "tag:example.org,2026:1", folder: "News", messageId: "<1@sluice>" };
 * ```
 */
export interface DeliveryRecord {
  /** The entry id (guid, id or link). */
  id: string;
  /** IMAP folder it went to. */
  folder?: string;
  /** Message-ID of the mail. */
  messageId?: string;
}

/**
 * An entry whose message is being handed to a mailbox, for {@linkcode StateStore.markSending}. A mark
 * still there when a run starts means the process died between the mailbox accepting the message and the
 * delivered record: the message may or may not be in `folder`, and the mailbox sink looks before sending.
 *
 * @example
 * ```ts
 * const s: SendingRecord = { feedUrl: "https://x/feed", id: "urn:1", folder: "News", messageId: "<1@sluice>" };
 * ```
 */
export interface SendingRecord {
  /** URL of the feed the entry came from (with the entry id, the key of the mark). */
  feedUrl: string;
  /** The entry id. */
  id: string;
  /** The folder the message is being delivered to (where to look for it later). */
  folder: string;
  /** Message-ID of the mail. */
  messageId: string;
  /** ISO time the mark was written; set by {@linkcode StateStore.listSending}, ignored when writing. */
  at?: string;
}

/**
 * One entry of {@linkcode StateStore.clearSending}.
 *
 * @example
 * ```ts
 * const k: SendingKey = { feedUrl: "https://x/feed", id: "urn:1" };
 * ```
 */
export interface SendingKey {
  /** URL of the feed the entry came from. */
  feedUrl: string;
  /** The entry id, as given to {@linkcode StateStore.markSending}. */
  id: string;
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
 * The exclusive lease a run holds on its state, so that two runs never deliver from one state at once.
 * Written and replaced only through {@linkcode LeaseStore.claimLease}.
 *
 * @example
 * ```ts
 * const l: LeaseRecord = {
 *   token: "3f9c...", pid: 4242, host: "mail-box", since: "2026-12-06T20:00:00.000Z",
 *   expiresAt: "2026-12-06T20:00:30.000Z",
 * };
 * ```
 */
export interface LeaseRecord {
  /** A random id of the holding run (one per run): who may renew or release the lease. */
  token: string;
  /** Process id of the holder, on `host`. */
  pid: number;
  /** Host name of the holder. */
  host: string;
  /** ISO time the holder took the lease (kept by renewals). */
  since: string;
  /** ISO time after which the lease is free to claim, unless renewed before. */
  expiresAt: string;
}

/**
 * Options of {@linkcode LeaseStore.claimLease}.
 *
 * @example
 * ```ts
 * const o: LeaseClaimOptions = { replace: "3f9c...", now: new Date() };
 * ```
 */
export interface LeaseClaimOptions {
  /** The token of a holder the caller found dead: its lease is replaced even before it expires. */
  replace?: string;
  /** The time that decides expiry (default now). */
  now?: Date;
}

/**
 * Whether `claim` may replace `current` (the rule every adapter applies inside its atomic step): there is
 * no lease, it expired before `now`, it is the claimer's own (a renewal), or it is the `replace` token.
 *
 * @example
 * ```ts
 * const mine = { token: "a", pid: 1, host: "h", since: "2026-01-01T00:00:00Z", expiresAt: "2026-01-01T00:01:00Z" };
 * leaseClaimable(undefined, mine); // true
 * leaseClaimable({ ...mine, token: "b" }, mine, { now: new Date("2026-01-01T00:00:30Z") }); // false
 * ```
 */
export function leaseClaimable(
  current: LeaseRecord | undefined,
  claim: LeaseRecord,
  options: LeaseClaimOptions = {},
): boolean {
  if (!current || current.token === claim.token) return true;
  if (options.replace !== undefined && current.token === options.replace) return true;
  return Date.parse(current.expiresAt) <= (options.now ?? new Date()).getTime();
}

/**
 * The key under which a feed's records are stored: its URL without credentials ({@linkcode redactUrl}).
 * Every adapter passes the feed URLs it is given through it.
 *
 * @example
 * ```ts
 * feedKey("https://bob:pw@example.org/feed?token=abc"); // "https://***:***@example.org/feed?token=***"
 * ```
 */
export function feedKey(url: string): string {
  return redactUrl(url);
}

/**
 * Part 1 of the {@linkcode StateStore} contract, about feeds: each feed's record (conditional-GET
 * validators, title, failures and back-off), keyed by {@linkcode feedKey}. (Issue 14 moves this part next
 * to the feed stages, on top of a generic key-value part; until then every adapter implements it.)
 *
 * @example
 * ```ts
 * async function due(store: FeedRecords) { return (await store.shouldFetch("https://x/feed")).fetch; }
 * ```
 */
export interface FeedRecords {
  /** The feed's stored state, or undefined if never seen. */
  getFeed(feedUrl: string): Promise<FeedState | undefined>;
  /** Merges `patch` into the feed's state (creating it); a key set to `undefined` is removed. */
  updateFeed(feedUrl: string, patch: Partial<FeedState>): Promise<void>;
  /** A fetch succeeded (200 or 304): resets failures and back-off, stores validators and title. */
  recordSuccess(feedUrl: string, info?: FetchSuccess, now?: Date): Promise<FeedState>;
  /** A fetch failed: counts it and sets `nextAttemptAfter` by the store's back-off policy. */
  recordFailure(feedUrl: string, reason: string, now?: Date): Promise<FeedState>;
  /** Whether the feed is due at `now` (false while backing off). */
  shouldFetch(feedUrl: string, now?: Date): Promise<FetchDecision>;
  /** Every known feed with its state and delivered count, sorted by URL. */
  listFeeds(): Promise<Array<{ url: string; state: FeedState; delivered: number }>>;
  /** Removes a feed's state, delivered ids and "sending" marks. */
  forgetFeed(feedUrl: string): Promise<void>;
}

/**
 * One key and its value, as {@linkcode KeyValueStore.list} returns them.
 *
 * @example
 * ```ts
 * const e: KeyValueEntry<number> = { key: "counter/a", value: 3 };
 * ```
 */
export interface KeyValueEntry<T = unknown> {
  /** The key, as given to {@linkcode KeyValueStore.set}. */
  key: string;
  /** The value (JSON). */
  value: T;
}

/**
 * The generic part of the {@linkcode StateStore} contract: keys and JSON values. A key is any string; a
 * caller names its records under a prefix of its own (`feed/` for the feed stages' records) and lists them
 * by it. {@linkcode KeyValueStore.update} is the one read-modify-write, atomic in every adapter (sqlite:
 * one transaction; Deno KV and NATS: a write at the version read, retried when another writer came first).
 *
 * @example
 * ```ts
 * async function bump(store: KeyValueStore) {
 *   return await store.update<number>("counter/runs", (n) => (n ?? 0) + 1);
 * }
 * ```
 */
export interface KeyValueStore {
  /** The value stored under `key`, or undefined. */
  get<T = unknown>(key: string): Promise<T | undefined>;
  /** Stores `value` (any JSON value) under `key`, replacing what was there. */
  set(key: string, value: unknown): Promise<void>;
  /** Removes `key`; nothing when it is not there. */
  delete(key: string): Promise<void>;
  /** Every key starting with `prefix` with its value, sorted by key. */
  list<T = unknown>(prefix: string): Promise<Array<KeyValueEntry<T>>>;
  /**
   * Replaces the value of `key` with `change(current)` in one atomic step (another writer's change in
   * between is never lost: the step is retried on the newer value) and returns the value written.
   * `change` may run more than once, so it must have no side effects.
   */
  update<T>(key: string, change: (current: T | undefined) => T): Promise<T>;
}

/**
 * Part 2 of the {@linkcode StateStore} contract, generic: the delivery ledger. Keys are (source, id) pairs
 * (for rss2imap: the feed URL by {@linkcode feedKey}, the entry id); an id delivered or seen is never
 * delivered again, and a "sending" mark says a delivery is in doubt until its record (or a refusal)
 * clears it. Every write of several records is one transaction (chunks of 500 where a backend limits a
 * commit).
 *
 * @example
 * ```ts
 * async function fresh(store: DeliveryLedgerStore, ids: string[]) {
 *   return await store.filterUndelivered("https://x/feed", ids);
 * }
 * ```
 */
export interface DeliveryLedgerStore {
  /** Whether the entry was already delivered (or marked seen). */
  isDelivered(feedUrl: string, entryId: string): Promise<boolean>;
  /**
   * Records a confirmed delivery. Idempotent: the first record of an id wins. Like every delivered or
   * seen record, it also clears the entry's "sending" mark in the same transaction.
   */
  markDelivered(
    feedUrl: string,
    entryId: string,
    info?: { folder?: string; messageId?: string },
  ): Promise<void>;
  /**
   * Records many deliveries at once, in one transaction (Deno KV: chunks of 500, its limit is 1000
   * mutations per commit). Idempotent per id.
   */
  markDeliveredMany(feedUrl: string, entries: DeliveryRecord[]): Promise<void>;
  /**
   * Marks ids as seen without delivering them (a new subscription starts from "now" instead of
   * flooding the mailbox with the feed's back catalogue). They count as delivered for dedupe.
   */
  markAllSeen(feedUrl: string, ids: string[]): Promise<void>;
  /** The ids not yet delivered or seen, in input order, each once. One query for the whole list. */
  filterUndelivered(feedUrl: string, ids: string[]): Promise<string[]>;
  /** Number of delivered (and seen) entries, for one feed or all. */
  deliveredCount(feedUrl?: string): Promise<number>;
  /**
   * Marks entries (of any feeds) as being sent, in one transaction (Deno KV: chunks of 500), before
   * their messages go to the mailbox. A mark replaces an earlier one of the same feed and id. It is
   * cleared by the delivered record ({@linkcode StateStore.markDeliveredMany}) or by
   * {@linkcode StateStore.clearSending} when the mailbox refused the message.
   */
  markSending(entries: SendingRecord[]): Promise<void>;
  /** Drops the "sending" marks of these entries (the mailbox refused them: nothing was stored). */
  clearSending(entries: SendingKey[]): Promise<void>;
  /** Every "sending" mark, oldest first: after a crash, the entries whose delivery is in doubt. */
  listSending(): Promise<SendingRecord[]>;
}

/**
 * Part 3 of the {@linkcode StateStore} contract, generic: one exclusive lease per store, so that one run
 * at a time uses it. An adapter implements one atomic compare-and-set ({@linkcode LeaseStore.claimLease},
 * deciding with {@linkcode leaseClaimable}) and a guarded delete; waiting, takeover of a dead holder and
 * renewal are built once on top of them (`acquireLease` in lease.ts). The contract test
 * (tests/state_store_contract_test.ts) checks every adapter, many claims at once included.
 *
 * @example
 * ```ts
 * async function holder(store: LeaseStore) { return (await store.readLease())?.pid; }
 * ```
 */
export interface LeaseStore {
  /**
   * Claims or renews the store's exclusive lease in one atomic step (sqlite: one `BEGIN IMMEDIATE`
   * transaction; KV: a versionstamp check): `lease` is written when {@linkcode leaseClaimable} says so,
   * and the lease that holds after the call is returned; the caller holds it when the returned token is
   * its own. Never a read then a write without a guard. Use `acquireLease` (lease.ts) rather than this.
   */
  claimLease(lease: LeaseRecord, options?: LeaseClaimOptions): Promise<LeaseRecord>;
  /** Drops the lease if `token` holds it; nothing otherwise. */
  releaseLease(token: string): Promise<void>;
  /** The lease as stored (possibly expired), or undefined when none. */
  readLease(): Promise<LeaseRecord | undefined>;
}

/**
 * Where delivered entry ids, feed validators and health live, and the run lease: the three parts
 * {@linkcode FeedRecords}, {@linkcode DeliveryLedgerStore} and {@linkcode LeaseStore}, plus a
 * description and `close`. Every method that writes a delivery also creates the feed's record, so
 * {@linkcode StateStore.listFeeds} sees it. Failures reject with a {@linkcode StateStoreError}.
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
export interface StateStore extends KeyValueStore, FeedRecords, DeliveryLedgerStore, LeaseStore {
  /** What this store is and where it lives, for logs (`sqlite:/var/lib/sluice/state.db`). */
  readonly description: string;
  /** Releases the store (files, handles). Idempotent; any other call after it throws. */
  close(): Promise<void>;
}

/** Stable codes of {@linkcode StateStoreError}. */
export type StateStoreErrorCode =
  | "E_STATE_SPEC"
  | "E_STATE_NOT_WRITABLE"
  | "E_STATE_LOCKED"
  | "E_STATE_LEASED"
  | "E_STATE_LEASE_LOST"
  | "E_STATE_EMPTY"
  | "E_STATE_FOREIGN"
  | "E_STATE_CORRUPT"
  | "E_STATE_SCHEMA"
  | "E_STATE_KV_UNAVAILABLE"
  | "E_STATE_CLOSED"
  | "E_STATE_IO";

/**
 * A state store could not be opened or used; the message names the store's path and the hint says
 * what to do.
 *
 * @example
 * ```ts
 * import { StateStoreError } from "./store.ts";
 * const e = new StateStoreError("E_STATE_LOCKED", "/var/lib/sluice/state.db: database is locked",
 *   "another sluice process is writing; stop it or use another STATE_DIR");
 * console.log(e.code, e.message, e.hint);
 * ```
 */
export class StateStoreError extends SluiceError {
  /**
   * Creates the error; `code` is one of the `E_STATE_*` codes of {@linkcode StateStoreErrorCode}.
   *
   * @param code stable code
   * @param message what happened, naming the store path
   * @param hint what to do about it
   * @param options standard error options (`cause`)
   */
  constructor(code: StateStoreErrorCode, message: string, hint?: string, options?: ErrorOptions) {
    super(code, message, hint, options);
  }
}
