/**
 * The default state store: one SQLite file (`<STATE_DIR>/state.db`) through `node:sqlite`, in WAL mode,
 * with a schema version table (migrations run on open, so a database of an older sluice is upgraded in
 * place), prepared statements and one transaction per batch. The API is
 * synchronous underneath, so use a store from the main thread only (workers open their own, or better,
 * send results to the main thread).
 * @module
 */
import { chmodSync, linkSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import { redactUrl } from "../errors.ts";
import { openSqlite, type SqliteDatabase, type SqliteStatement } from "../runtime/sqlite.ts";
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

/** Options of {@linkcode SqliteStore.open}. */
export interface SqliteStoreOptions {
  /** How long a write waits for another process's lock before E_STATE_LOCKED (default 5000). */
  busyTimeoutMs?: number;
  /**
   * `"full"` (default): every commit is on disk before it returns, so a delivery survives a power cut
   * (measured here: ~400-900 single commits/s). `"normal"`: a power cut (not a crash of sluice) may
   * lose the last commits, so their entries would be mailed again (~35-50k commits/s).
   */
  durability?: "full" | "normal";
  /**
   * WAL pages after which a commit also copies the log into the database (SQLite's automatic checkpoint,
   * default 1000 = 4 MB). The copy runs inside that commit, on the caller's thread: a store written
   * through a whole run can set it high so that the run never waits for one (closing checkpoints).
   */
  walCheckpointPages?: number;
}

/**
 * Schema migrations; index i brings the schema from version i to i + 1 (SQL, or a function for a change
 * SQL cannot say). Append, never edit.
 */
const MIGRATIONS: Array<string | ((db: SqliteDatabase) => void)> = [
  `CREATE TABLE feeds (url TEXT PRIMARY KEY, state TEXT NOT NULL) WITHOUT ROWID;
   CREATE TABLE delivered (
     feed TEXT NOT NULL, id TEXT NOT NULL, folder TEXT, message_id TEXT,
     at TEXT NOT NULL, seen INTEGER NOT NULL DEFAULT 0,
     PRIMARY KEY (feed, id)
   ) WITHOUT ROWID;`,
  // 2: "sending" marks, written before a batch goes to the mailbox and deleted with its delivered record.
  `CREATE TABLE sending (
     feed TEXT NOT NULL, id TEXT NOT NULL, folder TEXT NOT NULL, message_id TEXT NOT NULL, at TEXT NOT NULL,
     PRIMARY KEY (feed, id)
   ) WITHOUT ROWID;`,
  // 3: the run lease (one row), and feed records keyed by the URL without credentials.
  (db) => {
    db.exec(`CREATE TABLE lease (
       name TEXT PRIMARY KEY, token TEXT NOT NULL, pid INTEGER NOT NULL, host TEXT NOT NULL,
       since TEXT NOT NULL, expires_at TEXT NOT NULL
     ) WITHOUT ROWID;`);
    for (const row of db.prepare("SELECT url FROM feeds").all()) {
      const url = String(row.url);
      const key = scopeKey(url);
      if (key === url) continue;
      for (const table of ["delivered", "sending"]) {
        db.prepare(`UPDATE OR IGNORE ${table} SET feed = ? WHERE feed = ?`).run(key, url);
        db.prepare(`DELETE FROM ${table} WHERE feed = ?`).run(url);
      }
      db.prepare("UPDATE OR IGNORE feeds SET url = ? WHERE url = ?").run(key, url);
      db.prepare("DELETE FROM feeds WHERE url = ?").run(url);
    }
  },
  // 4: generic keys and JSON values (KeyValueStore).
  `CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;`,
  // 5: the feed stages keep their records in kv (FeedStateBook: "feed/" + URL); the engine has no feeds.
  `INSERT OR IGNORE INTO kv (key, value) SELECT 'feed/' || url, state FROM feeds;
   DROP TABLE feeds;`,
];

/** The schema version this code writes. */
export const SQLITE_SCHEMA_VERSION: number = MIGRATIONS.length;

const SQL = {
  isDelivered: "SELECT 1 AS hit FROM delivered WHERE feed = ? AND id = ?",
  markDelivered:
    "INSERT OR IGNORE INTO delivered (feed, id, folder, message_id, at, seen) VALUES (?, ?, ?, ?, ?, ?)",
  // One statement for a whole feed's ids: json_each turns the JSON array into rows.
  delivered: "SELECT id FROM delivered WHERE feed = ? AND id IN (SELECT value FROM json_each(?))",
  countFeed: "SELECT COUNT(*) AS n FROM delivered WHERE feed = ?",
  countAll: "SELECT COUNT(*) AS n FROM delivered",
  listScopes: "SELECT feed, COUNT(*) AS n FROM delivered GROUP BY feed",
  forgetDelivered: "DELETE FROM delivered WHERE feed = ?",
  markSending: `INSERT INTO sending (feed, id, folder, message_id, at) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (feed, id) DO UPDATE SET folder = excluded.folder, message_id = excluded.message_id, at = excluded.at`,
  clearSending: "DELETE FROM sending WHERE feed = ? AND id = ?",
  listSending: "SELECT feed, id, folder, message_id, at FROM sending ORDER BY at, feed, id",
  forgetSending: "DELETE FROM sending WHERE feed = ?",
  readLease: "SELECT token, pid, host, since, expires_at FROM lease WHERE name = 'run'",
  writeLease: `INSERT INTO lease (name, token, pid, host, since, expires_at) VALUES ('run', ?, ?, ?, ?, ?)
    ON CONFLICT (name) DO UPDATE SET token = excluded.token, pid = excluded.pid, host = excluded.host,
    since = excluded.since, expires_at = excluded.expires_at`,
  releaseLease: "DELETE FROM lease WHERE name = 'run' AND token = ?",
  getValue: "SELECT value FROM kv WHERE key = ?",
  setValue:
    "INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
  deleteValue: "DELETE FROM kv WHERE key = ?",
  // substr, not LIKE: a prefix may hold % or _.
  listValues: "SELECT key, value FROM kv WHERE substr(key, 1, length(?1)) = ?1 ORDER BY key",
} as const;

type Statements = { [K in keyof typeof SQL]: SqliteStatement };

/**
 * A {@linkcode StateStore} in one SQLite file.
 *
 * @example
 * ```ts
 * import { SqliteStore } from "./sqlite_store.ts";
 * const store = await SqliteStore.open("/tmp/sluice-example/state.db");
 * await store.markDeliveredMany("https://x/feed", [{ id: "a" }, { id: "b", folder: "News" }]);
 * await store.filterUndelivered("https://x/feed", ["a", "c"]); // ["c"]
 * await store.close();
 * ```
 */
export class SqliteStore extends DeliveryMarks implements StateStore {
  readonly description: string;
  /** The database file. */
  readonly path: string;
  #db: SqliteDatabase | undefined;
  #sql: Statements;

  private constructor(path: string, db: SqliteDatabase) {
    super();
    this.path = path;
    this.description = `sqlite:${path}`;
    this.#db = db;
    this.#sql = Object.fromEntries(
      Object.entries(SQL).map(([name, sql]) => [name, db.prepare(sql)]),
    ) as Statements;
  }

  /**
   * Opens (creating the directory and file if needed) the store at `file` and migrates its schema.
   *
   * @throws StateStoreError E_STATE_NOT_WRITABLE, E_STATE_LOCKED, E_STATE_CORRUPT or E_STATE_SCHEMA
   * @example
   * ```ts
   * import { SqliteStore } from "./sqlite_store.ts";
   * const store = await SqliteStore.open("/tmp/sluice-example/state.db", { busyTimeoutMs: 1000 });
   * await store.close();
   * ```
   */
  static async open(file: string, options: SqliteStoreOptions = {}): Promise<SqliteStore> {
    ensureStateDir(dirname(file));
    let db: SqliteDatabase | undefined;
    try {
      if (!checkStateFile(file)) await createStateFile(file);
      db = await openSqlite(file, { busyTimeoutMs: options.busyTimeoutMs });
      migrate(db, file, options.durability ?? "full");
      makeStateFilesPrivate(file);
      if (options.walCheckpointPages !== undefined) {
        db.exec(`PRAGMA wal_autocheckpoint = ${Math.max(0, Math.floor(options.walCheckpointPages))}`);
      }
      return new SqliteStore(file, db);
    } catch (cause) {
      try {
        db?.close();
      } catch { /* the original error matters more */ }
      throw storageError(cause, file);
    }
  }

  /** Runs `fn` against the open database, turning SQLite errors into StateStoreErrors. */
  #use<T>(fn: (db: SqliteDatabase, sql: Statements) => T): Promise<T> {
    const db = this.#db;
    if (!db) {
      return Promise.reject(
        new StateStoreError(
          "E_STATE_CLOSED",
          `${this.path}: state store used after close()`,
          "open a new store",
        ),
      );
    }
    try {
      return Promise.resolve(fn(db, this.#sql));
    } catch (cause) {
      return Promise.reject(storageError(cause, this.path));
    }
  }

  /** The ledger write behind `markDelivered`, `markDeliveredMany` and `markAllSeen` (see {@linkcode DeliveryMarks}). */
  protected override recordDeliveries(
    url: string,
    entries: readonly DeliveryRecord[],
    seen: boolean,
  ): Promise<void> {
    return this.#use((db, sql) =>
      transaction(db, () => {
        const at = new Date().toISOString();
        for (const e of entries) {
          sql.markDelivered.run(url, e.id, e.folder ?? null, e.messageId ?? null, at, seen ? 1 : 0);
          sql.clearSending.run(url, e.id);
        }
      })
    );
  }

  #parseValue<T>(key: string, text: unknown): T {
    try {
      return JSON.parse(String(text)) as T;
    } catch (cause) {
      throw new StateStoreError(
        "E_STATE_CORRUPT",
        `${this.path}: the stored value of ${redactUrl(key)} is not valid JSON`,
        "delete the key (StateStore.delete) to reset it",
        { cause },
      );
    }
  }

  get<T = unknown>(key: string): Promise<T | undefined> {
    return this.#use((_, sql) => {
      const row = sql.getValue.get(key);
      return row ? this.#parseValue<T>(key, row.value) : undefined;
    });
  }

  set(key: string, value: unknown): Promise<void> {
    return this.#use((_, sql) => void sql.setValue.run(key, JSON.stringify(value)));
  }

  delete(key: string): Promise<void> {
    return this.#use((_, sql) => void sql.deleteValue.run(key));
  }

  list<T = unknown>(prefix: string): Promise<Array<KeyValueEntry<T>>> {
    return this.#use((_, sql) =>
      sql.listValues.all(prefix).map((r) => ({
        key: String(r.key),
        value: this.#parseValue<T>(String(r.key), r.value),
      }))
    );
  }

  update<T>(key: string, change: (current: T | undefined) => T): Promise<T> {
    return this.#use((db, sql) =>
      transaction(db, () => {
        const row = sql.getValue.get(key);
        const next = change(row ? this.#parseValue<T>(key, row.value) : undefined);
        const text = JSON.stringify(next);
        sql.setValue.run(key, text);
        return JSON.parse(text) as T;
      })
    );
  }

  isDelivered(scope: string, id: string): Promise<boolean> {
    scope = scopeKey(scope);
    return this.#use((_, sql) => sql.isDelivered.get(scope, id) !== undefined);
  }

  filterUndelivered(scope: string, ids: string[]): Promise<string[]> {
    scope = scopeKey(scope);
    return this.#use((_, sql) => {
      const unique = [...new Set(ids)];
      if (unique.length === 0) return [];
      const known = new Set(sql.delivered.all(scope, JSON.stringify(unique)).map((r) => String(r.id)));
      return unique.filter((id) => !known.has(id));
    });
  }

  deliveredCount(scope?: string): Promise<number> {
    if (scope !== undefined) scope = scopeKey(scope);
    return this.#use((_, sql) => {
      const row = scope === undefined ? sql.countAll.get() : sql.countFeed.get(scope);
      return Number(row?.n ?? 0);
    });
  }

  listScopes(): Promise<LedgerScope[]> {
    return this.#use((_, sql) =>
      sql.listScopes.all().map((r) => ({ scope: String(r.feed), delivered: Number(r.n) }))
    );
  }

  forgetScope(scope: string): Promise<void> {
    scope = scopeKey(scope);
    return this.#use((db, sql) =>
      transaction(db, () => {
        sql.forgetDelivered.run(scope);
        sql.forgetSending.run(scope);
      })
    );
  }

  markSending(entries: SendingRecord[]): Promise<void> {
    entries = entries.map((e) => ({ ...e, feedUrl: scopeKey(e.feedUrl) }));
    if (entries.length === 0) return this.#use(() => undefined);
    return this.#use((db, sql) =>
      transaction(db, () => {
        const at = new Date().toISOString();
        for (const e of entries) sql.markSending.run(e.feedUrl, e.id, e.folder, e.messageId, at);
      })
    );
  }

  clearSending(entries: SendingKey[]): Promise<void> {
    entries = entries.map((e) => ({ ...e, feedUrl: scopeKey(e.feedUrl) }));
    if (entries.length === 0) return this.#use(() => undefined);
    return this.#use((db, sql) =>
      transaction(db, () => {
        for (const e of entries) sql.clearSending.run(e.feedUrl, e.id);
      })
    );
  }

  listSending(): Promise<SendingRecord[]> {
    return this.#use((_, sql) =>
      sql.listSending.all().map((r) => ({
        feedUrl: String(r.feed),
        id: String(r.id),
        folder: String(r.folder),
        messageId: String(r.message_id),
        at: String(r.at),
      }))
    );
  }

  claimLease(lease: LeaseRecord, options: LeaseClaimOptions = {}): Promise<LeaseRecord> {
    return this.#use((db, sql) =>
      // BEGIN IMMEDIATE: the read and the write are one step; no other process writes in between.
      transaction(db, () => {
        const current = leaseOf(sql.readLease.get());
        if (!leaseClaimable(current, lease, options)) return current!;
        sql.writeLease.run(lease.token, lease.pid, lease.host, lease.since, lease.expiresAt);
        return { ...lease };
      })
    );
  }

  releaseLease(token: string): Promise<void> {
    return this.#use((_, sql) => void sql.releaseLease.run(token));
  }

  readLease(): Promise<LeaseRecord | undefined> {
    return this.#use((_, sql) => leaseOf(sql.readLease.get()));
  }

  close(): Promise<void> {
    const db = this.#db;
    this.#db = undefined;
    try {
      db?.close();
    } catch (cause) {
      return Promise.reject(storageError(cause, this.path));
    }
    return Promise.resolve();
  }
}

/** Runs `fn` in a write transaction (BEGIN IMMEDIATE takes the write lock up front: no upgrade deadlock). */
function transaction<T>(db: SqliteDatabase, fn: () => T): T {
  db.exec("BEGIN IMMEDIATE");
  try {
    const result = fn();
    db.exec("COMMIT");
    return result;
  } catch (error) {
    try {
      db.exec("ROLLBACK");
    } catch { /* BEGIN failed, nothing to roll back */ }
    throw error;
  }
}

function leaseOf(row: Record<string, unknown> | undefined): LeaseRecord | undefined {
  if (!row) return undefined;
  return {
    token: String(row.token),
    pid: Number(row.pid),
    host: String(row.host),
    since: String(row.since),
    expiresAt: String(row.expires_at),
  };
}

/**
 * Creates a new state file whole or not at all: the schema is written into a private temporary file,
 * which is then linked into place (another run creating it at the same moment wins, and this one uses
 * theirs). So a state file is never seen half made, and an empty one always means a lost state.
 */
async function createStateFile(file: string): Promise<void> {
  const tmp = `${file}.${crypto.randomUUID()}.tmp`;
  const db = await openSqlite(tmp);
  try {
    db.exec("CREATE TABLE schema_version (version INTEGER NOT NULL)");
    migrate(db, tmp, "full", "DELETE");
  } finally {
    db.close();
  }
  try {
    chmodSync(tmp, 0o600);
    linkSync(tmp, file);
  } catch (e) {
    if ((e as { code?: string }).code !== "EEXIST") throw e;
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** Sets the pragmas and brings the schema to {@linkcode SQLITE_SCHEMA_VERSION}. */
function migrate(
  db: SqliteDatabase,
  file: string,
  durability: "full" | "normal",
  journal: "WAL" | "DELETE" = "WAL",
): void {
  db.exec(`PRAGMA journal_mode = ${journal}`);
  // FULL by default: a delivered mark survives a power cut, or the next run would mail the entry again.
  db.exec(`PRAGMA synchronous = ${durability === "normal" ? "NORMAL" : "FULL"}`);
  const known = db.prepare(
    "SELECT 1 AS hit FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'",
  );
  if (!known.get()) {
    throw new StateStoreError(
      "E_STATE_FOREIGN",
      `${file} is an SQLite database but not sluice state (it has no schema_version table); nothing was sent`,
      "point STATE_DIR at sluice's own state, or " + RECOVERY_HINT,
    );
  }
  transaction(db, () => {
    const version = Number(db.prepare("SELECT MAX(version) AS v FROM schema_version").get()?.v ?? 0);
    if (version > SQLITE_SCHEMA_VERSION) {
      throw new StateStoreError(
        "E_STATE_SCHEMA",
        `${file} has schema version ${version}; this sluice knows up to ${SQLITE_SCHEMA_VERSION}`,
        "it was written by a newer sluice: upgrade sluice, or " + RECOVERY_HINT,
      );
    }
    const record = db.prepare("INSERT INTO schema_version (version) VALUES (?)");
    for (let v = version; v < SQLITE_SCHEMA_VERSION; v++) {
      const step = MIGRATIONS[v];
      if (typeof step === "string") db.exec(step);
      else step(db);
      record.run(v + 1);
    }
  });
}
