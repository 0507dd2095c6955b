/**
 * The in-memory state store: everything in Maps, gone when the process ends. For tests and dry runs.
 * @module
 */
import { DeliveryMarks } from "./delivery_marks.ts";
import {
  type DeliveryRecord,
  type KeyValueEntry,
  leaseClaimable,
  type LeaseClaimOptions,
  type LeaseRecord,
  type LedgerScope,
  scopeKey,
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
export class MemoryStore extends DeliveryMarks implements StateStore {
  readonly description = "memory:";
  /** Delivered and seen ids by scope. */
  #scopes = new Map<string, Map<string, Delivery>>();
  /** "sending" marks by {@linkcode sendingKey}; apart from `#scopes`: a mark is no delivery. */
  #sending = new Map<string, Required<SendingRecord>>();
  #closed = false;
  #lease: LeaseRecord | undefined;
  /** Key/value records as JSON text, so a caller never shares an object with the store. */
  #values = new Map<string, string>();

  /** Runs `fn` unless the store is closed, as a promise like the other adapters. */
  #use<T>(fn: () => T): Promise<T> {
    if (this.#closed) {
      return Promise.reject(
        new StateStoreError("E_STATE_CLOSED", "memory: state store used after close()", "open a new store"),
      );
    }
    return Promise.resolve(fn());
  }

  /** The ledger write behind `markDelivered`, `markDeliveredMany` and `markAllSeen` (see {@linkcode DeliveryMarks}). */
  protected override recordDeliveries(
    url: string,
    entries: readonly DeliveryRecord[],
    seen: boolean,
  ): Promise<void> {
    return this.#use(() => {
      let delivered = this.#scopes.get(url);
      if (!delivered) this.#scopes.set(url, delivered = new Map());
      const at = new Date().toISOString();
      for (const e of entries) {
        if (!delivered.has(e.id)) delivered.set(e.id, { folder: e.folder, messageId: e.messageId, at, seen });
        this.#sending.delete(sendingKey(url, e.id));
      }
    });
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

  isDelivered(scope: string, id: string): Promise<boolean> {
    scope = scopeKey(scope);
    return this.#use(() => this.#scopes.get(scope)?.has(id) ?? false);
  }

  filterUndelivered(scope: string, ids: string[]): Promise<string[]> {
    scope = scopeKey(scope);
    return this.#use(() => {
      const delivered = this.#scopes.get(scope);
      const unique = [...new Set(ids)];
      return delivered ? unique.filter((id) => !delivered.has(id)) : unique;
    });
  }

  deliveredCount(scope?: string): Promise<number> {
    if (scope !== undefined) scope = scopeKey(scope);
    return this.#use(() => {
      if (scope !== undefined) return this.#scopes.get(scope)?.size ?? 0;
      let n = 0;
      for (const delivered of this.#scopes.values()) n += delivered.size;
      return n;
    });
  }

  listScopes(): Promise<LedgerScope[]> {
    return this.#use(() =>
      [...this.#scopes].map(([scope, delivered]) => ({ scope, delivered: delivered.size }))
    );
  }

  forgetScope(scope: string): Promise<void> {
    scope = scopeKey(scope);
    return this.#use(() => {
      this.#scopes.delete(scope);
      for (const [key, mark] of this.#sending) if (mark.feedUrl === scope) this.#sending.delete(key);
    });
  }

  markSending(entries: SendingRecord[]): Promise<void> {
    entries = entries.map((e) => ({ ...e, feedUrl: scopeKey(e.feedUrl) }));
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
    entries = entries.map((e) => ({ ...e, feedUrl: scopeKey(e.feedUrl) }));
    return this.#use(() => {
      for (const e of entries) this.#sending.delete(sendingKey(e.feedUrl, e.id));
    });
  }

  listSending(): Promise<SendingRecord[]> {
    return this.#use(() => [...this.#sending.values()].map((mark) => ({ ...mark })));
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

/** One Map key for a scope and an id (a JSON pair: no separator can clash with their text). */
function sendingKey(scope: string, id: string): string {
  return JSON.stringify([scope, id]);
}
