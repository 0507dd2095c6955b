/**
 * The state-store contract: what sluice remembers between runs, and the run lease that keeps two runs
 * off one state. It is generic: keys and JSON values, the delivery ledger (delivered ids and the
 * "sending" marks of messages handed to a mailbox whose outcome is not recorded yet, keyed by a scope
 * string) and the lease. What the feed stages keep (validators, health, back-off) is their own record
 * on the key/value part (stages/feed_state.ts). Adapters: node:sqlite (default), Deno KV, NATS JetStream
 * KV, in-memory (tests).
 *
 * A scope that is a URL is stored as {@linkcode redactUrl} shows it ({@linkcode scopeKey}): a password,
 * user name or token in a feed URL is never written to state.
 *
 * An adapter implements four small parts: keys and values ({@linkcode KeyValueStore}), the delivery
 * ledger and its sending marks ({@linkcode DeliveryLedgerStore}) and the lease ({@linkcode LeaseStore}:
 * one compare-and-set record; `lease.ts` builds waiting, takeover of a dead holder and renewal on top).
 * The ledger's three marking methods are written once in `DeliveryMarks` (`delivery_marks.ts`), which an
 * adapter extends, implementing its one write.
 * @module
 */
import { redactUrl, SluiceError } from "../errors.ts";

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
  /** The ledger scope: for the feed stages, the URL of the feed the entry came from (with the id, the key of the mark). */
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
  /** The ledger scope (the feed URL for the feed stages). */
  feedUrl: string;
  /** The entry id, as given to {@linkcode StateStore.markSending}. */
  id: string;
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
 * The key under which a ledger scope is stored: a URL without its credentials ({@linkcode redactUrl}),
 * any other text as it is. Every adapter passes the scopes it is given through it.
 *
 * @example
 * ```ts
 * scopeKey("https://bob:pw@example.org/feed?token=abc"); // "https://***:***@example.org/feed?token=***"
 * ```
 */
export function scopeKey(scope: string): string {
  return redactUrl(scope);
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
 * A part of the {@linkcode StateStore} contract, generic: keys and JSON values. A key is any string; a
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
 * One scope of the delivery ledger with its number of delivered (and seen) ids, as
 * {@linkcode DeliveryLedgerStore.listScopes} gives them.
 *
 * @example
 * ```ts
 * const s: LedgerScope = { scope: "https://x/feed", delivered: 12 };
 * ```
 */
export interface LedgerScope {
  /** The scope, as stored ({@linkcode scopeKey}). */
  scope: string;
  /** Delivered and seen ids of the scope. */
  delivered: number;
}

/**
 * A part of the {@linkcode StateStore} contract, generic: the delivery ledger. Keys are (scope, id) pairs
 * (the feed stages use the feed URL as the scope, by {@linkcode scopeKey}, and the entry id); an id
 * delivered or seen is never delivered again, and a "sending" mark says a delivery is in doubt until its
 * record (or a refusal) clears it. Every write of several records is one transaction (chunks of 500
 * where a backend limits a commit). A scope is known to the ledger ({@linkcode DeliveryLedgerStore.listScopes})
 * from its first delivered or seen record until {@linkcode DeliveryLedgerStore.forgetScope}. (The field
 * of a sending mark that holds the scope is still named `feedUrl`.)
 *
 * @example
 * ```ts
 * async function fresh(store: DeliveryLedgerStore, ids: string[]) {
 *   return await store.filterUndelivered("https://x/feed", ids);
 * }
 * ```
 */
export interface DeliveryLedgerStore {
  /** Whether the id was already delivered (or marked seen) in `scope`. */
  isDelivered(scope: string, id: string): Promise<boolean>;
  /**
   * Records a confirmed delivery. Idempotent: the first record of an id wins. Like every delivered or
   * seen record, it also clears the entry's "sending" mark in the same transaction.
   */
  markDelivered(
    scope: string,
    id: string,
    info?: { folder?: string; messageId?: string },
  ): Promise<void>;
  /**
   * Records many deliveries at once, in one transaction (Deno KV: chunks of 500, its limit is 1000
   * mutations per commit). Idempotent per id.
   */
  markDeliveredMany(scope: string, entries: DeliveryRecord[]): Promise<void>;
  /**
   * Marks ids as seen without delivering them (a new subscription starts from "now" instead of
   * flooding the mailbox with the feed's back catalogue). They count as delivered for dedupe.
   */
  markAllSeen(scope: string, ids: string[]): Promise<void>;
  /** The ids not yet delivered or seen, in input order, each once. One query for the whole list. */
  filterUndelivered(scope: string, ids: string[]): Promise<string[]>;
  /** Number of delivered (and seen) ids, for one scope or all. */
  deliveredCount(scope?: string): Promise<number>;
  /** Every scope with a delivered or seen id, with its count (in no particular order). */
  listScopes(): Promise<LedgerScope[]>;
  /** Removes a scope's delivered ids and "sending" marks. */
  forgetScope(scope: string): Promise<void>;
  /**
   * Marks entries (of any scopes) as being sent, in one transaction (Deno KV: chunks of 500), before
   * their messages go to the mailbox. A mark replaces an earlier one of the same scope and id. It is
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
 * A part of the {@linkcode StateStore} contract, generic: one exclusive lease per store, so that one run
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
 * Where sluice's state lives, and the run lease: the parts {@linkcode KeyValueStore},
 * {@linkcode DeliveryLedgerStore} and {@linkcode LeaseStore}, plus a description and `close`. Failures
 * reject with a {@linkcode StateStoreError}.
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
export interface StateStore extends KeyValueStore, DeliveryLedgerStore, LeaseStore {
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
