/**
 * The state store in a NATS JetStream key-value bucket, shared by every process of a sluice cluster.
 * Keys (NATS keys allow only `[-/_=.A-Za-z0-9]`, so feed URLs and ids go in as SHA-256 prefixes):
 * `c.<scope>` -> `{ scope }`, `d.<scope>.<id>` -> delivery, `s.<scope>.<id>` -> "sending" mark,
 * `k.<key>` -> `{ key, value }` (the generic keys and values). An older sluice kept feed records as
 * `f.<feed>` -> `{ url, state }`: opening the bucket moves them to `k.` (`feed/` + URL) and `c.`.
 *
 * Writes never read and then write blindly: a delivery is `create` (the first record of an id wins, a
 * second is refused by the server), a value changes by `update` at the revision it was read at
 * (retried when another process got there first). NATS has no multi-key transaction: a delivered record
 * is written before the entry's "sending" mark is deleted, and {@linkcode NatsKvStore.listSending} leaves
 * out a mark whose entry is already delivered (a process that died in between).
 * @module
 */
import { createHash } from "node:crypto";
import { type KV, type KvEntry, Kvm } from "npm:@nats-io/kv@^3.4.0";
import { openBucket } from "../nats/bucket.ts";
import { DeliveryMarks } from "./delivery_marks.ts";
import { redactUrl } from "../errors.ts";
import { type NatsLink, natsServers, openNats } from "../nats/connection.ts";
import { retryTransient } from "../nats/transient.ts";
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
import type {
  DeliveryValue,
  FeedValue,
  KeyValueValue,
  ScopeValue,
  SendingValue,
} from "./kv_record_values.ts";

/** Options of {@linkcode NatsKvStore.open} (none yet). */
export type NatsKvStoreOptions = Record<string, never>;

/** The bucket when the spec names none. */
export const DEFAULT_STATE_BUCKET = "sluice_state";
/** Up to this many ids, one read per id (pipelined on the connection) beats listing the feed's keys. */
const POINT_READ_LIMIT = 1000;
/** Writes in flight at once per call (the client pipelines them; the server acks each). */
const WRITES_IN_FLIGHT = 256;
/** The key of the run lease. */
const LEASE_KEY = "lease";

/**
 * How long a state operation is retried while the cluster recovers from a lost node: the bucket's new
 * leader is elected within seconds on a quiet machine, but took over 15 s on a loaded one, and an
 * operation given up on costs its item the run (delivered on the next one) or its unit a redelivery.
 */
const STATE_RETRY_MS = 60_000;

/**
 * Where a `nats:` spec points: the servers, the bucket and its replicas.
 *
 * @example
 * ```ts
 * import { parseNatsStateSpec } from "./nats_kv_store.ts";
 * parseNatsStateSpec("nats://127.0.0.1:4222/rss");
 * // { servers: "nats://127.0.0.1:4222", bucket: "rss", replicas: 1 }
 * ```
 */
export function parseNatsStateSpec(spec: string): { servers: string; bucket: string; replicas: number } {
  let text = spec.trim();
  let bucket = DEFAULT_STATE_BUCKET;
  // `/NAME` after the last host:port names the bucket (`nats://h:4222/rss`, `h:4222/rss`).
  const named = /^(.*?(?:\/\/)?[^/,]+)\/([A-Za-z0-9_-]+)$/.exec(text);
  if (named) [text, bucket] = [named[1], named[2]];
  const servers = natsServers(text);
  // Three or more servers listed: a cluster; the bucket keeps three copies.
  return { servers: servers.join(","), bucket, replicas: servers.length >= 3 ? 3 : 1 };
}

/** A key part: the SHA-256 of `text`, 32 hex digits (128 bits). */
function keyPart(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 32);
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function encode(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

function decode<T>(entry: KvEntry | null): T | undefined {
  if (!entry || entry.operation !== "PUT") return undefined;
  return JSON.parse(decoder.decode(entry.value)) as T;
}

/** A refused create or update: the key exists, or changed since it was read. */
function isWrongRevision(e: unknown): boolean {
  return /wrong last sequence/i.test((e as Error)?.message ?? "");
}

/** Runs `fn` over `items`, at most `limit` at once. */
async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<unknown>) {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  });
  await Promise.all(lanes);
}

/**
 * A {@linkcode StateStore} in a NATS JetStream KV bucket (nats-server 2.9 or newer with `-js`).
 *
 * @example
 * ```ts ignore
 * import { NatsKvStore } from "./nats_kv_store.ts";
 * const store = await NatsKvStore.open("nats://127.0.0.1:4222");
 * await store.markAllSeen("https://x/feed", ["a", "b"]);
 * await store.filterUndelivered("https://x/feed", ["a", "c"]); // ["c"]
 * await store.close();
 * ```
 */
export class NatsKvStore extends DeliveryMarks implements StateStore {
  readonly description: string;
  #kv: KV | undefined;
  #link: NatsLink | undefined;

  private constructor(description: string, link: NatsLink, kv: KV) {
    super();
    this.description = description;
    this.#link = link;
    this.#kv = kv;
  }

  /**
   * Opens (creating it when missing) the bucket a `nats:` spec names: `nats://HOST:PORT` (bucket
   * `sluice_state`), `nats://HOST:PORT/BUCKET`, or several servers joined with commas.
   *
   * @throws StateStoreError E_STATE_IO when NATS cannot be reached or has no JetStream
   * @example
   * ```ts ignore
   * const store = await NatsKvStore.open("nats://127.0.0.1:4222/rss");
   * await store.close();
   * ```
   */
  static async open(spec: string, _options: NatsKvStoreOptions = {}): Promise<NatsKvStore> {
    const { servers, bucket, replicas } = parseNatsStateSpec(spec);
    const description = `nats:${servers.split(",").map(redactUrl).join(",")}/${bucket}`;
    let link: NatsLink | undefined;
    try {
      link = await openNats(servers);
      const kv = await openBucket(new Kvm(link.nc), bucket, { history: 1, replicas });
      // Safe to repeat (creates refused as "exists", purges), and it lists keys through a consumer that
      // times out while the bucket's leader is being elected: retried like every other operation.
      await retryTransient(() => moveFeedRecords(kv), STATE_RETRY_MS);
      return new NatsKvStore(description, link, kv);
    } catch (cause) {
      await link?.release();
      throw new StateStoreError(
        "E_STATE_IO",
        `${description}: cannot open the state bucket: ${(cause as Error).message}`,
        "start nats-server with JetStream (`nats-server -js`) and check the URL",
        { cause },
      );
    }
  }

  async #use<T>(fn: (kv: KV) => Promise<T>): Promise<T> {
    const kv = this.#kv;
    if (!kv) {
      throw new StateStoreError(
        "E_STATE_CLOSED",
        `${this.description}: state store used after close()`,
        "open a new store",
      );
    }
    try {
      // Every operation here is safe to repeat (creates refused as "exists", same-value writes, reads),
      // so one interrupted by a node of the cluster going away is tried again.
      return await retryTransient(() => fn(kv), STATE_RETRY_MS);
    } catch (cause) {
      if (cause instanceof StateStoreError) throw cause;
      throw new StateStoreError(
        "E_STATE_IO",
        `${this.description}: ${(cause as Error).message}`,
        "check that nats-server is up and has JetStream",
        { cause },
      );
    }
  }

  /** Keys matching `filter` (`d.<feed>.>`), listed by the server. */
  async #keys(kv: KV, filter: string): Promise<string[]> {
    const keys: string[] = [];
    for await (const k of await kv.keys(filter)) keys.push(k);
    return keys;
  }

  /** The ids (unique) of `ids` with no delivery record. */
  async #undelivered(kv: KV, feed: string, ids: string[]): Promise<string[]> {
    const parts = ids.map(keyPart);
    const known = new Set<string>();
    if (ids.length <= POINT_READ_LIMIT) {
      await eachLimited(parts, WRITES_IN_FLIGHT, async (p) => {
        if (decode(await kv.get(`d.${feed}.${p}`))) known.add(p);
      });
    } else {
      for (const k of await this.#keys(kv, `d.${feed}.*`)) known.add(k.slice(k.lastIndexOf(".") + 1));
    }
    return ids.filter((_, i) => !known.has(parts[i]));
  }

  /** The ledger write behind `markDelivered`, `markDeliveredMany` and `markAllSeen` (see {@linkcode DeliveryMarks}). */
  protected override recordDeliveries(
    url: string,
    entries: readonly DeliveryRecord[],
    seen: boolean,
  ): Promise<void> {
    return this.#use(async (kv) => {
      const feed = keyPart(url);
      try {
        await kv.create(`c.${feed}`, encode({ scope: url } satisfies ScopeValue));
      } catch (e) {
        if (!isWrongRevision(e)) throw e;
      }
      const byId = new Map<string, DeliveryRecord>();
      for (const e of entries) if (!byId.has(e.id)) byId.set(e.id, e);
      const at = new Date().toISOString();
      await eachLimited([...byId.values()], WRITES_IN_FLIGHT, async (e) => {
        const value: DeliveryValue = { at, seen };
        if (e.folder !== undefined) value.folder = e.folder;
        if (e.messageId !== undefined) value.messageId = e.messageId;
        try {
          await kv.create(`d.${feed}.${keyPart(e.id)}`, encode(value));
        } catch (err) {
          if (!isWrongRevision(err)) throw err; // already delivered: the first record wins
        }
      });
      // After the delivered records: a crash in between leaves a mark listSending() ignores.
      const marked = new Set(await this.#keys(kv, `s.${feed}.*`));
      const unmark = [...byId.keys()].map((id) => `s.${feed}.${keyPart(id)}`).filter((k) => marked.has(k));
      await eachLimited(unmark, WRITES_IN_FLIGHT, (k) => kv.purge(k));
    });
  }

  get<T = unknown>(key: string): Promise<T | undefined> {
    return this.#use(async (kv) => decode<KeyValueValue>(await kv.get(`k.${keyPart(key)}`))?.value as T);
  }

  set(key: string, value: unknown): Promise<void> {
    return this.#use(async (kv) => {
      await kv.put(`k.${keyPart(key)}`, encode({ key, value } satisfies KeyValueValue));
    });
  }

  delete(key: string): Promise<void> {
    return this.#use(async (kv) => {
      await kv.purge(`k.${keyPart(key)}`);
    });
  }

  list<T = unknown>(prefix: string): Promise<Array<KeyValueEntry<T>>> {
    // Keys are hashes: every `k.` key is read and its stored key compared.
    return this.#use(async (kv) => {
      const out: Array<KeyValueEntry<T>> = [];
      await eachLimited(await this.#keys(kv, "k.*"), WRITES_IN_FLIGHT, async (k) => {
        const entry = decode<KeyValueValue>(await kv.get(k));
        if (entry?.key.startsWith(prefix)) out.push({ key: entry.key, value: entry.value as T });
      });
      return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    });
  }

  update<T>(key: string, change: (current: T | undefined) => T): Promise<T> {
    return this.#use(async (kv) => {
      const at = `k.${keyPart(key)}`;
      for (let attempt = 0;; attempt++) {
        const entry = await kv.get(at);
        const next = change(decode<KeyValueValue>(entry)?.value as T | undefined);
        const text = encode({ key, value: next } satisfies KeyValueValue);
        try {
          if (entry && entry.operation === "PUT") await kv.update(at, text, entry.revision);
          else await kv.create(at, text);
          return JSON.parse(decoder.decode(text)).value as T;
        } catch (e) {
          if (!isWrongRevision(e)) throw e;
          if (attempt >= 50) {
            throw new Error(`gave up updating ${redactUrl(key)} after 50 conflicting writes`);
          }
        }
      }
    });
  }

  isDelivered(scope: string, id: string): Promise<boolean> {
    scope = scopeKey(scope);
    return this.#use(async (kv) => decode(await kv.get(`d.${keyPart(scope)}.${keyPart(id)}`)) !== undefined);
  }

  filterUndelivered(scope: string, ids: string[]): Promise<string[]> {
    scope = scopeKey(scope);
    return this.#use((kv) => this.#undelivered(kv, keyPart(scope), [...new Set(ids)]));
  }

  deliveredCount(scope?: string): Promise<number> {
    if (scope !== undefined) scope = scopeKey(scope);
    return this.#use(async (kv) =>
      (await this.#keys(kv, scope === undefined ? "d.>" : `d.${keyPart(scope)}.*`)).length
    );
  }

  listScopes(): Promise<LedgerScope[]> {
    return this.#use(async (kv) => {
      const counts = new Map<string, number>();
      for (const k of await this.#keys(kv, "d.>")) {
        const scope = k.split(".")[1];
        counts.set(scope, (counts.get(scope) ?? 0) + 1);
      }
      const scopes: LedgerScope[] = [];
      for (const k of await this.#keys(kv, "c.*")) {
        const value = decode<ScopeValue>(await kv.get(k));
        if (value) scopes.push({ scope: value.scope, delivered: counts.get(k.slice(2)) ?? 0 });
      }
      return scopes;
    });
  }

  forgetScope(scope: string): Promise<void> {
    scope = scopeKey(scope);
    return this.#use(async (kv) => {
      const feed = keyPart(scope);
      const keys = [
        ...await this.#keys(kv, `d.${feed}.*`),
        ...await this.#keys(kv, `s.${feed}.*`),
        `c.${feed}`,
      ];
      await eachLimited(keys, WRITES_IN_FLIGHT, (k) => kv.purge(k));
    });
  }

  markSending(entries: SendingRecord[]): Promise<void> {
    return this.#use(async (kv) => {
      const at = new Date().toISOString();
      await eachLimited(entries, WRITES_IN_FLIGHT, ({ feedUrl: url, id, folder, messageId }) => {
        const feedUrl = scopeKey(url);
        return kv.put(
          `s.${keyPart(feedUrl)}.${keyPart(id)}`,
          encode({ feedUrl, id, folder, messageId, at } satisfies SendingValue),
        );
      });
    });
  }

  clearSending(entries: SendingKey[]): Promise<void> {
    return this.#use(async (kv) => {
      const marked = new Set(await this.#keys(kv, "s.>"));
      const keys = entries.map((e) => `s.${keyPart(scopeKey(e.feedUrl))}.${keyPart(e.id)}`).filter((k) =>
        marked.has(k)
      );
      await eachLimited(keys, WRITES_IN_FLIGHT, (k) => kv.purge(k));
    });
  }

  listSending(): Promise<SendingRecord[]> {
    return this.#use(async (kv) => {
      const marks: SendingRecord[] = [];
      await eachLimited(await this.#keys(kv, "s.>"), WRITES_IN_FLIGHT, async (k) => {
        const mark = decode<SendingValue>(await kv.get(k));
        // A mark whose entry is delivered: the process died between the record and the mark's removal.
        if (mark && !decode(await kv.get(`d${k.slice(1)}`))) marks.push({ ...mark });
      });
      return marks.sort((a, b) => (a.at! < b.at! ? -1 : a.at! > b.at! ? 1 : 0));
    });
  }

  claimLease(lease: LeaseRecord, options: LeaseClaimOptions = {}): Promise<LeaseRecord> {
    return this.#use(async (kv) => {
      // Read, decide, and write at the read revision: a claim that lost the race reads again.
      for (let attempt = 0;; attempt++) {
        const entry = await kv.get(LEASE_KEY);
        const current = decode<LeaseRecord>(entry);
        if (!leaseClaimable(current, lease, options)) return { ...current! };
        try {
          if (entry) await kv.update(LEASE_KEY, encode(lease), entry.revision);
          else await kv.create(LEASE_KEY, encode(lease));
          return { ...lease };
        } catch (e) {
          if (!isWrongRevision(e) || attempt >= 50) throw e;
        }
      }
    });
  }

  releaseLease(token: string): Promise<void> {
    return this.#use(async (kv) => {
      const entry = await kv.get(LEASE_KEY);
      if (decode<LeaseRecord>(entry)?.token !== token) return;
      // At the revision read: a lease taken over in between stays.
      await kv.delete(LEASE_KEY, { previousSeq: entry!.revision }).catch((e) => {
        if (!isWrongRevision(e)) throw e;
      });
    });
  }

  readLease(): Promise<LeaseRecord | undefined> {
    return this.#use(async (kv) => decode<LeaseRecord>(await kv.get(LEASE_KEY)));
  }

  async close(): Promise<void> {
    const link = this.#link;
    this.#kv = undefined;
    this.#link = undefined;
    await link?.release();
  }
}

/**
 * Moves an older sluice's feed records (`f.<feed>` -> `{ url, state }`) to the ledger's scope record and
 * the generic value `feed/` + URL (stages/feed_state.ts). Creates, so a value written since (or by
 * another process moving the same record) is kept; then the old record goes.
 */
async function moveFeedRecords(kv: KV): Promise<void> {
  const old: string[] = [];
  for await (const k of await kv.keys("f.*")) old.push(k);
  for (const k of old) {
    const record = decode<FeedValue>(await kv.get(k));
    if (record) {
      const key = `feed/${record.url}`;
      for (
        const [at, value] of [
          [`c.${k.slice(2)}`, { scope: record.url } satisfies ScopeValue],
          [`k.${keyPart(key)}`, { key, value: record.state } satisfies KeyValueValue],
        ] as const
      ) {
        await kv.create(at, encode(value)).catch((e) => {
          if (!isWrongRevision(e)) throw e;
        });
      }
    }
    await kv.purge(k);
  }
}
