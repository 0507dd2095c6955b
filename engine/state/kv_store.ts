/**
 * The Deno KV state store, for Deno Deploy and anyone who prefers KV. Keys:
 * `["sluice","scope",scope]` -> `{ scope }`, `["sluice","delivered",scope,id]` -> delivery and
 * `["sluice","sending",feed,id]` -> "sending" mark, `["sluice","kv",key]` -> `{ key, value }` (the generic
 * keys and values). Feed URLs and ids longer than 512 bytes are stored
 * by their SHA-256 (KV keys are at most 2 KB). The sending marks came after schema version 1 without
 * changing it: they live under their own prefix, which an older sluice never reads.
 * @module
 */
import { dirname } from "node:path";
import { redactUrl } from "../errors.ts";
import { type Kv, type KvKey, kvSupport, openKv } from "../runtime/kv.ts";
import { DeliveryMarks } from "./delivery_marks.ts";
import { checkStateFile, makeStateFilesPrivate, RECOVERY_HINT } from "./state_file.ts";
import { ensureStateDir, storageError } from "./storage_error.ts";
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

/** Options of {@linkcode KvStore.open} (none yet). */
export type KvStoreOptions = Record<string, never>;

const ROOT = "sluice";
/**
 * 2: feed records keyed by the URL without credentials (1 kept them in the keys). 3: the feed records
 * moved to the generic keys and values (`feed/` + URL), the ledger keeps its scopes under `scope`.
 */
const KV_SCHEMA_VERSION = 3;
const LEASE_KEY: KvKey = [ROOT, "lease"];
/** Writes per commit: Deno KV allows 1000 mutations; half leaves room under its 800 KB size limit. */
const WRITES_PER_COMMIT = 500;
/**
 * Up to this many ids, point reads (10 keys per getMany, in parallel) beat listing every delivered key
 * of the feed. Measured on local KV: ~3 us per id read, ~10 us per key listed.
 */
const POINT_READ_LIMIT = 1000;
const MAX_KEY_PART_BYTES = 512;

const encoder = new TextEncoder();

/** A key part for `text`: itself, or its SHA-256 when too long for a KV key. */
async function keyPart(text: string): Promise<string> {
  if (encoder.encode(text).length <= MAX_KEY_PART_BYTES) return text;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
  return "sha256:" + Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** `value` as JSON would give it back (KV stores structured clones: undefined keys and Dates survive). */
function jsonCopy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * A {@linkcode StateStore} in Deno KV (Deno with `--unstable-kv`, or Deno Deploy).
 *
 * @example
 * ```ts
 * import { mkdtemp, rm } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import path from "node:path";
 * import { KvStore } from "./kv_store.ts";
 * const dir = await mkdtemp(path.join(tmpdir(), "sluice-example-"));
 * const store = await KvStore.open(path.join(dir, "state.kv"));
 * await store.markAllSeen("https://x/feed", ["a", "b"]);
 * console.log(await store.filterUndelivered("https://x/feed", ["a", "c"])); // ["c"]
 * await store.close();
 * await rm(dir, { recursive: true });
 * ```
 */
export class KvStore extends DeliveryMarks implements StateStore {
  readonly description: string;
  /** The KV path or URL ("" for the default database). */
  readonly path: string;
  #kv: Kv | undefined;

  private constructor(path: string, kv: Kv) {
    super();
    this.path = path;
    this.description = `kv:${path}`;
    this.#kv = kv;
  }

  /**
   * Opens Deno KV at `path`: a file (its directory is created), an `https://` KV URL, or `""` for the
   * runtime's default database.
   *
   * @throws StateStoreError E_STATE_KV_UNAVAILABLE (not Deno, or no `--unstable-kv`), E_STATE_NOT_WRITABLE,
   *   E_STATE_CORRUPT, E_STATE_SCHEMA
   * @example
   * ```ts
   * import { mkdtemp, rm } from "node:fs/promises";
   * import { tmpdir } from "node:os";
   * import path from "node:path";
   * import { KvStore } from "./kv_store.ts";
   * const dir = await mkdtemp(path.join(tmpdir(), "sluice-example-"));
   * const store = await KvStore.open(path.join(dir, "nested", "state.kv")); // the folder is created
   * await store.close();
   * await rm(dir, { recursive: true });
   * ```
   */
  static async open(path: string, _options: KvStoreOptions = {}): Promise<KvStore> {
    const support = kvSupport();
    if (!support.available) {
      throw new StateStoreError(
        "E_STATE_KV_UNAVAILABLE",
        `kv:${path}: Deno KV is not available here`,
        support.hint,
      );
    }
    const isFile = path !== "" && !/^https?:\/\//.test(path);
    if (isFile) ensureStateDir(dirname(path));
    let kv: Kv | undefined;
    try {
      if (isFile) checkStateFile(path, `kv:${path}`);
      kv = await openKv(path || undefined);
      if (isFile) makeStateFilesPrivate(path);
      await checkSchema(kv, path, isFile);
      return new KvStore(path, kv);
    } catch (cause) {
      kv?.close();
      throw storageError(cause, `kv:${path}`);
    }
  }

  async #use<T>(fn: (kv: Kv) => Promise<T>): Promise<T> {
    const kv = this.#kv;
    if (!kv) {
      throw new StateStoreError(
        "E_STATE_CLOSED",
        `kv:${this.path}: state store used after close()`,
        "open a new store",
      );
    }
    try {
      return await fn(kv);
    } catch (cause) {
      throw storageError(cause, `kv:${this.path}`);
    }
  }

  async #scopeKey(scope: string): Promise<KvKey> {
    return [ROOT, "scope", await keyPart(scope)];
  }

  async #deliveredPrefix(url: string): Promise<KvKey> {
    return [ROOT, "delivered", await keyPart(url)];
  }

  async #sendingKey(url: string, id: string): Promise<KvKey> {
    return [ROOT, "sending", await keyPart(url), await keyPart(id)];
  }

  /** The key parts of the feed's entries with a "sending" mark (few: a batch, or a crash's leftovers). */
  async #markedParts(kv: Kv, url: string): Promise<Set<string>> {
    const prefix: KvKey = [ROOT, "sending", await keyPart(url)];
    const parts = new Set<string>();
    for await (const e of kv.list({ prefix })) parts.add(String(e.key[prefix.length]));
    return parts;
  }

  /** The ids (already unique) of `ids` with no delivery record, by their key parts. */
  async #undelivered(kv: Kv, prefix: KvKey, ids: string[]): Promise<string[]> {
    const parts = await Promise.all(ids.map(keyPart));
    const known = new Set<string>();
    if (ids.length <= POINT_READ_LIMIT) {
      await Promise.all(
        chunks(parts, 10).map(async (group) => {
          const entries = await kv.getMany(group.map((p) => [...prefix, p]));
          entries.forEach((e, i) => e.versionstamp !== null && known.add(group[i]));
        }),
      );
    } else {
      for await (const e of kv.list({ prefix }, { batchSize: 1000 })) known.add(String(e.key[prefix.length]));
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
      const recordKey = await this.#scopeKey(url);
      const fresh: ScopeValue = { scope: url };
      await kv.atomic().check({ key: recordKey, versionstamp: null }).set(recordKey, fresh).commit();
      const byId = new Map<string, DeliveryRecord>();
      for (const e of entries) if (!byId.has(e.id)) byId.set(e.id, e);
      const prefix = await this.#deliveredPrefix(url);
      const missing = new Set(await this.#undelivered(kv, prefix, [...byId.keys()]));
      // A delivered record clears the entry's "sending" mark in the same commit.
      const marked = await this.#markedParts(kv, url);
      const writes: Array<{ id: string; part: string; record: boolean; unmark: boolean }> = [];
      for (const id of byId.keys()) {
        const part = await keyPart(id);
        const record = missing.has(id);
        const unmark = marked.has(part);
        if (record || unmark) writes.push({ id, part, record, unmark });
      }
      const at = new Date().toISOString();
      for (const group of chunks(writes, WRITES_PER_COMMIT / 2)) {
        const op = kv.atomic();
        for (const w of group) {
          if (w.record) {
            const e = byId.get(w.id)!;
            const value: DeliveryValue = { at, seen };
            if (e.folder !== undefined) value.folder = e.folder;
            if (e.messageId !== undefined) value.messageId = e.messageId;
            op.set([...prefix, w.part], value);
          }
          if (w.unmark) op.delete(await this.#sendingKey(url, w.id));
        }
        await op.commit();
      }
    });
  }

  async #count(kv: Kv, prefix: KvKey): Promise<number> {
    let n = 0;
    for await (const _ of kv.list({ prefix }, { batchSize: 1000 })) n++;
    return n;
  }

  async #valueKey(key: string): Promise<KvKey> {
    return [ROOT, "kv", await keyPart(key)];
  }

  get<T = unknown>(key: string): Promise<T | undefined> {
    return this.#use(async (kv) =>
      (await kv.get<KeyValueValue>(await this.#valueKey(key))).value?.value as T | undefined
    );
  }

  set(key: string, value: unknown): Promise<void> {
    return this.#use(async (kv) => {
      await kv.set(await this.#valueKey(key), { key, value: jsonCopy(value) } satisfies KeyValueValue);
    });
  }

  delete(key: string): Promise<void> {
    return this.#use(async (kv) => {
      await kv.atomic().delete(await this.#valueKey(key)).commit();
    });
  }

  list<T = unknown>(prefix: string): Promise<Array<KeyValueEntry<T>>> {
    // The whole `kv` space, filtered on the stored key: a key too long for KV is stored by its hash.
    return this.#use(async (kv) => {
      const out: Array<KeyValueEntry<T>> = [];
      for await (const e of kv.list<KeyValueValue>({ prefix: [ROOT, "kv"] }, { batchSize: 1000 })) {
        const { key, value } = e.value!;
        if (key.startsWith(prefix)) out.push({ key, value: value as T });
      }
      return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    });
  }

  update<T>(key: string, change: (current: T | undefined) => T): Promise<T> {
    return this.#use(async (kv) => {
      const at = await this.#valueKey(key);
      for (let attempt = 0;; attempt++) {
        const entry = await kv.get<KeyValueValue>(at);
        const next = jsonCopy(change(entry.value?.value as T | undefined));
        const result = await kv.atomic().check({ key: at, versionstamp: entry.versionstamp })
          .set(at, { key, value: next } satisfies KeyValueValue).commit();
        if (result.ok) return next;
        if (attempt >= 20) throw new Error(`gave up updating ${redactUrl(key)} after 20 conflicting writes`);
      }
    });
  }

  isDelivered(scope: string, id: string): Promise<boolean> {
    scope = scopeKey(scope);
    return this.#use(async (kv) => {
      const key = [...await this.#deliveredPrefix(scope), await keyPart(id)];
      return (await kv.get(key)).versionstamp !== null;
    });
  }

  filterUndelivered(scope: string, ids: string[]): Promise<string[]> {
    scope = scopeKey(scope);
    return this.#use(async (kv) =>
      this.#undelivered(kv, await this.#deliveredPrefix(scope), [...new Set(ids)])
    );
  }

  deliveredCount(scope?: string): Promise<number> {
    if (scope !== undefined) scope = scopeKey(scope);
    return this.#use(async (kv) =>
      this.#count(kv, scope === undefined ? [ROOT, "delivered"] : await this.#deliveredPrefix(scope))
    );
  }

  listScopes(): Promise<LedgerScope[]> {
    return this.#use(async (kv) => {
      const scopes: LedgerScope[] = [];
      for await (const e of kv.list<ScopeValue>({ prefix: [ROOT, "scope"] })) {
        const { scope } = e.value!;
        scopes.push({ scope, delivered: await this.#count(kv, await this.#deliveredPrefix(scope)) });
      }
      return scopes;
    });
  }

  forgetScope(scope: string): Promise<void> {
    scope = scopeKey(scope);
    return this.#use(async (kv) => {
      const keys: KvKey[] = [];
      for await (const e of kv.list({ prefix: await this.#deliveredPrefix(scope) })) keys.push(e.key);
      for await (const e of kv.list({ prefix: [ROOT, "sending", await keyPart(scope)] })) keys.push(e.key);
      for (const group of chunks(keys, WRITES_PER_COMMIT)) {
        const op = kv.atomic();
        for (const key of group) op.delete(key);
        await op.commit();
      }
      await kv.atomic().delete(await this.#scopeKey(scope)).commit();
    });
  }

  markSending(entries: SendingRecord[]): Promise<void> {
    entries = entries.map((e) => ({ ...e, feedUrl: scopeKey(e.feedUrl) }));
    return this.#use(async (kv) => {
      const at = new Date().toISOString();
      for (const group of chunks(entries, WRITES_PER_COMMIT)) {
        const op = kv.atomic();
        for (const { feedUrl, id, folder, messageId } of group) {
          op.set(
            await this.#sendingKey(feedUrl, id),
            { feedUrl, id, folder, messageId, at } satisfies SendingValue,
          );
        }
        await op.commit();
      }
    });
  }

  clearSending(entries: SendingKey[]): Promise<void> {
    entries = entries.map((e) => ({ ...e, feedUrl: scopeKey(e.feedUrl) }));
    return this.#use(async (kv) => {
      for (const group of chunks(entries, WRITES_PER_COMMIT)) {
        const op = kv.atomic();
        for (const e of group) op.delete(await this.#sendingKey(e.feedUrl, e.id));
        await op.commit();
      }
    });
  }

  listSending(): Promise<SendingRecord[]> {
    return this.#use(async (kv) => {
      const marks: SendingRecord[] = [];
      for await (const e of kv.list<SendingValue>({ prefix: [ROOT, "sending"] })) marks.push({ ...e.value! });
      return marks.sort((a, b) => (a.at! < b.at! ? -1 : a.at! > b.at! ? 1 : 0));
    });
  }

  claimLease(lease: LeaseRecord, options: LeaseClaimOptions = {}): Promise<LeaseRecord> {
    return this.#use(async (kv) => {
      for (;;) {
        const entry = await kv.get<LeaseRecord>(LEASE_KEY);
        const current = entry.value ?? undefined;
        if (!leaseClaimable(current, lease, options)) return current!;
        // Written only if nobody changed the lease since it was read (versionstamp check).
        const result = await kv.atomic().check({ key: LEASE_KEY, versionstamp: entry.versionstamp })
          .set(LEASE_KEY, lease).commit();
        if (result.ok) return lease;
      }
    });
  }

  releaseLease(token: string): Promise<void> {
    return this.#use(async (kv) => {
      const entry = await kv.get<LeaseRecord>(LEASE_KEY);
      if (entry.value?.token !== token) return;
      await kv.atomic().check({ key: LEASE_KEY, versionstamp: entry.versionstamp }).delete(LEASE_KEY)
        .commit();
    });
  }

  readLease(): Promise<LeaseRecord | undefined> {
    return this.#use(async (kv) => (await kv.get<LeaseRecord>(LEASE_KEY)).value ?? undefined);
  }

  close(): Promise<void> {
    this.#kv?.close();
    this.#kv = undefined;
    return Promise.resolve();
  }
}

/** Writes the schema version into a new database, upgrades an older one, refuses a newer or foreign one. */
async function checkSchema(kv: Kv, path: string, ownFile: boolean): Promise<void> {
  const key = [ROOT, "schema"];
  const entry = await kv.get<number>(key);
  if (entry.value === null) {
    // A file of its own with other keys is not sluice's; a shared database (Deploy's default) may be.
    for await (const _ of ownFile ? kv.list({ prefix: [] }, { limit: 1 }) : []) {
      throw new StateStoreError(
        "E_STATE_FOREIGN",
        `kv:${path} holds data that is not sluice state (no sluice schema version)`,
        FOREIGN_HINT,
      );
    }
    await kv.atomic().check({ key, versionstamp: null }).set(key, KV_SCHEMA_VERSION).commit();
  } else if (entry.value > KV_SCHEMA_VERSION) {
    throw new StateStoreError(
      "E_STATE_SCHEMA",
      `kv:${path} has schema version ${entry.value}; this sluice knows up to ${KV_SCHEMA_VERSION}`,
      "it was written by a newer sluice: upgrade sluice, or " + RECOVERY_HINT,
    );
  } else if (entry.value < KV_SCHEMA_VERSION) {
    if (entry.value < 2) await rekeyFeedsWithCredentials(kv);
    await moveFeedRecords(kv);
    await kv.atomic().check(entry).set(key, KV_SCHEMA_VERSION).commit();
  }
}

const FOREIGN_HINT = "point STATE_DIR at sluice's own state, or " + RECOVERY_HINT;

/**
 * Schema 2 -> 3: each feed record `["sluice","feed",feed]` -> `{ url, state }` becomes the ledger's scope
 * record and the generic value `feed/` + URL that FeedStateBook reads (stages/feed_state.ts).
 */
async function moveFeedRecords(kv: Kv): Promise<void> {
  const moves: Array<[KvKey, KvKey, unknown, KvKey, unknown]> = [];
  for await (const e of kv.list<FeedValue>({ prefix: [ROOT, "feed"] })) {
    const { url, state } = e.value!;
    const key = `feed/${url}`;
    moves.push([
      e.key,
      [ROOT, "scope", await keyPart(url)],
      { scope: url } satisfies ScopeValue,
      [ROOT, "kv", await keyPart(key)],
      { key, value: state } satisfies KeyValueValue,
    ]);
  }
  for (const group of chunks(moves, WRITES_PER_COMMIT / 3)) {
    const op = kv.atomic();
    for (const [from, scope, scopeValue, value, valueValue] of group) {
      op.delete(from).set(scope, scopeValue).set(value, valueValue);
    }
    await op.commit();
  }
}

/** Schema 1 -> 2: the records of feeds whose URL holds credentials move to the URL without them. */
async function rekeyFeedsWithCredentials(kv: Kv): Promise<void> {
  const moves: Array<[KvKey, KvKey, unknown]> = [];
  for await (const e of kv.list<FeedValue>({ prefix: [ROOT, "feed"] })) {
    const url = e.value!.url;
    const key = scopeKey(url);
    if (key === url) continue;
    const [from, to] = [await keyPart(url), await keyPart(key)];
    moves.push([e.key, [ROOT, "feed", to], { ...e.value!, url: key }]);
    for (const kind of ["delivered", "sending"]) {
      for await (const d of kv.list({ prefix: [ROOT, kind, from] })) {
        const value = kind === "sending" ? { ...(d.value as SendingValue), feedUrl: key } : d.value;
        moves.push([d.key, [ROOT, kind, to, ...d.key.slice(3)], value]);
      }
    }
  }
  for (const group of chunks(moves, WRITES_PER_COMMIT / 2)) {
    const op = kv.atomic();
    for (const [from, to, value] of group) op.delete(from).set(to, value);
    await op.commit();
  }
}
