/**
 * Durable state: the {@linkcode StateStore} contract, its adapters (sqlite by default, Deno KV,
 * memory, NATS), {@linkcode openStore} and the lease.
 *
 * @example
 * ```ts
 * import { openStore } from "./mod.ts";
 * const store = await openStore("memory:");
 * const fresh = await store.filterUndelivered("https://x/feed", ["a", "b"]);
 * await store.markDeliveredMany("https://x/feed", fresh.map((id) => ({ id, folder: "News" })));
 * await store.close();
 * ```
 * @module
 */
export type {
  DeliveryLedgerStore,
  DeliveryRecord,
  KeyValueEntry,
  KeyValueStore,
  LeaseClaimOptions,
  LeaseRecord,
  LeaseStore,
  LedgerScope,
  SendingKey,
  SendingRecord,
  StateStore,
  StateStoreErrorCode,
} from "./store.ts";
export { leaseClaimable, scopeKey, StateStoreError } from "./store.ts";
export {
  acquireLease,
  type AcquireLeaseOptions,
  DEFAULT_LEASE_TTL_MS,
  describeLeaseHolder,
  type HeldLease,
} from "./lease.ts";
export { DeliveryMarks } from "./delivery_marks.ts";
export { MemoryStore } from "./memory_store.ts";
export { SQLITE_SCHEMA_VERSION, SqliteStore, type SqliteStoreOptions } from "./sqlite_store.ts";
export { KvStore, type KvStoreOptions } from "./kv_store.ts";
export {
  openStore,
  type OpenStoreOptions,
  parseStoreSpec,
  type ResolvedStoreSpec,
  type StoreKind,
  type StoreSpec,
} from "./open_store.ts";
