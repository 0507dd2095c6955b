/**
 * What only the sqlite store does: WAL and the schema version, upgrading an older schema, refusing a
 * newer one, and clear errors for a damaged file, an unwritable dir and a held write lock.
 */
import { after, before, describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { openStore, SQLITE_SCHEMA_VERSION, type StateStoreError } from "../engine/state/mod.ts";
import { FeedStateBook } from "../stages/feed_state.ts";
import { FEED, OTHER } from "./support/state_store_fixtures.ts";

let root = "";
before(() => {
  root = mkdtempSync(join(tmpdir(), "sluice-state-"));
});
after(() => {
  rmSync(root, { recursive: true, force: true });
});

describe("sqlite store specifics", () => {
  test("uses WAL and records the schema version", async () => {
    const dir = join(root, "wal");
    const store = await openStore({ kind: "sqlite", path: dir });
    assert.equal(store.description, `sqlite:${join(dir, "state.db")}`);
    await store.close();
    const db = new DatabaseSync(join(dir, "state.db"));
    try {
      assert.equal(db.prepare("PRAGMA journal_mode").get()?.journal_mode, "wal");
      assert.equal(
        db.prepare("SELECT MAX(version) AS v FROM schema_version").get()?.v,
        SQLITE_SCHEMA_VERSION,
      );
    } finally {
      db.close();
    }
  });

  test("walCheckpointPages defers the WAL checkpoint (a run's commits do not copy into the database file)", async () => {
    const sizes: Record<string, number> = {};
    for (const [name, pages] of [["default", undefined], ["deferred", 10_000]] as const) {
      const dir = join(root, `ckpt-${name}`);
      const store = await openStore({ kind: "sqlite", path: dir }, {
        durability: "normal",
        walCheckpointPages: pages,
      });
      for (let batch = 0; batch < 40; batch++) {
        const entries = Array.from(
          { length: 200 },
          (_, i) => ({ id: `urn:${batch}:${i}:${"x".repeat(300)}` }),
        );
        await store.markDeliveredMany(FEED, entries);
      }
      sizes[name] = statSync(join(dir, "state.db")).size; // while open: only what checkpoints copied
      assert.equal(await store.deliveredCount(FEED), 8000);
      await store.close();
      const reopened = await openStore({ kind: "sqlite", path: dir });
      assert.equal(await reopened.deliveredCount(FEED), 8000, "closing checkpointed everything");
      await reopened.close();
    }
    assert.ok(sizes.default > 1_000_000, `SQLite's own checkpoints copied pages: ${sizes.default}`);
    assert.ok(sizes.deferred < 200_000, `no checkpoint while the store was open: ${sizes.deferred}`);
  });

  test("a database of the previous sluice (schema 1) opens, keeps its records and gains sending marks", async () => {
    const dir = join(root, "schema-1");
    mkdirSync(dir);
    const file = join(dir, "state.db");
    const old = new DatabaseSync(file);
    // Exactly what schema version 1 created, with one feed and one delivery in it.
    old.exec(`PRAGMA journal_mode = WAL;
      CREATE TABLE schema_version (version INTEGER NOT NULL);
      INSERT INTO schema_version (version) VALUES (1);
      CREATE TABLE feeds (url TEXT PRIMARY KEY, state TEXT NOT NULL) WITHOUT ROWID;
      CREATE TABLE delivered (
        feed TEXT NOT NULL, id TEXT NOT NULL, folder TEXT, message_id TEXT,
        at TEXT NOT NULL, seen INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (feed, id)
      ) WITHOUT ROWID;
      INSERT INTO feeds VALUES ('${FEED}', '{"consecutiveFailures":0,"etag":"v1"}');
      INSERT INTO delivered VALUES ('${FEED}', 'old', 'News', '<old@x>', '2026-01-01T00:00:00.000Z', 0);`);
    old.close();
    const store = await openStore(dir);
    try {
      assert.equal(await store.isDelivered(FEED, "old"), true);
      assert.equal((await new FeedStateBook(store).getFeed(FEED))?.etag, "v1");
      await store.markSending([{ feedUrl: FEED, id: "new", folder: "News", messageId: "<new@x>" }]);
      await store.markDeliveredMany(FEED, [{ id: "old" }, { id: "new" }]);
      assert.deepEqual(await store.listSending(), []);
      assert.equal(await store.deliveredCount(FEED), 2);
    } finally {
      await store.close();
    }
    const db = new DatabaseSync(file);
    try {
      assert.equal(
        db.prepare("SELECT MAX(version) AS v FROM schema_version").get()?.v,
        SQLITE_SCHEMA_VERSION,
      );
      assert.equal(SQLITE_SCHEMA_VERSION, 5);
    } finally {
      db.close();
    }
  });

  test("refuses a database from a newer schema", async () => {
    const dir = join(root, "newer");
    await (await openStore(dir)).close();
    const db = new DatabaseSync(join(dir, "state.db"));
    db.exec(`INSERT INTO schema_version (version) VALUES (${SQLITE_SCHEMA_VERSION + 1})`);
    db.close();
    await assert.rejects(
      openStore(dir),
      (e: StateStoreError) => e.code === "E_STATE_SCHEMA" && /newer.*cli\.ts state rebuild/.test(e.hint!),
    );
  });

  /** Asserts that opening `file` fails with `code`, naming the file and the recovery commands. */
  async function refuses(file: string, code: string) {
    await assert.rejects(openStore(file), (e: StateStoreError) => {
      assert.equal(e.code, code);
      assert.ok(e.message.includes(file), e.message);
      assert.match(e.hint!, /cli\.ts state rebuild PIPELINE\.yaml/);
      assert.match(e.hint!, /cli\.ts state reset --mark-seen PIPELINE\.yaml/);
      return true;
    });
  }

  test("a file that is not SQLite is E_STATE_FOREIGN naming the path and the recovery commands", async () => {
    const file = join(root, "damaged.db");
    writeFileSync(file, "this is not sqlite ".repeat(500));
    await refuses(file, "E_STATE_FOREIGN");
  });

  test("an empty (0-byte) state file is E_STATE_EMPTY, not a fresh start, and stays as it was", async () => {
    const file = join(root, "empty", "state.db");
    mkdirSync(join(root, "empty"));
    writeFileSync(file, "");
    await refuses(file, "E_STATE_EMPTY");
    assert.equal(statSync(file).size, 0);
  });

  test("a truncated state file is E_STATE_CORRUPT", async () => {
    const dir = join(root, "truncated");
    const store = await openStore(dir);
    await store.markDeliveredMany(FEED, Array.from({ length: 2000 }, (_, i) => ({ id: `entry-${i}` })));
    await store.close();
    const file = join(dir, "state.db");
    truncateSync(file, Math.floor(statSync(file).size / 2));
    await refuses(file, "E_STATE_CORRUPT");
  });

  test("an SQLite database that is not sluice's is E_STATE_FOREIGN", async () => {
    const file = join(root, "foreign.db");
    const other = new DatabaseSync(file);
    other.exec(
      "CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO photos (name) VALUES ('x')",
    );
    other.close();
    await refuses(file, "E_STATE_FOREIGN");
  });

  test("state folder and files are private (0700, 0600 with -wal and -shm)", async () => {
    const dir = join(root, "private", "nested");
    const store = await openStore(dir);
    await store.markDeliveredMany(FEED, [{ id: "a" }]);
    try {
      assert.equal(statSync(join(root, "private")).mode & 0o777, 0o700);
      assert.equal(statSync(dir).mode & 0o777, 0o700);
      for (const f of ["state.db", "state.db-wal", "state.db-shm"]) {
        assert.equal(statSync(join(dir, f)).mode & 0o777, 0o600, f);
      }
    } finally {
      await store.close();
    }
  });

  test("a feed URL's password and token never reach the database file", async () => {
    const dir = join(root, "secret");
    const store = await openStore(dir);
    const url = "https://reader:pa55w0rd@example.org/feed.xml?token=t0k3nvalue&page=2";
    await new FeedStateBook(store).recordSuccess(url, { etag: '"v"', title: "T" });
    await store.markSending([{ feedUrl: url, id: "a", folder: "F", messageId: "<a@x>" }]);
    await store.markDeliveredMany(url, [{ id: "b" }]);
    await store.close();
    for (const f of readdirSync(dir)) {
      const bytes = new TextDecoder("latin1").decode(readFileSync(join(dir, f)));
      assert.ok(!bytes.includes("pa55w0rd") && !bytes.includes("t0k3nvalue"), f);
      assert.ok(!bytes.includes("reader"), f);
    }
  });

  test("a previous sluice's records of a feed URL with credentials move to the URL without them", async () => {
    const dir = join(root, "rekey");
    mkdirSync(dir);
    const url = "https://reader:pa55w0rd@example.org/feed.xml";
    const old = new DatabaseSync(join(dir, "state.db"));
    old.exec(`CREATE TABLE schema_version (version INTEGER NOT NULL);
      INSERT INTO schema_version (version) VALUES (2);
      CREATE TABLE feeds (url TEXT PRIMARY KEY, state TEXT NOT NULL) WITHOUT ROWID;
      CREATE TABLE delivered (
        feed TEXT NOT NULL, id TEXT NOT NULL, folder TEXT, message_id TEXT,
        at TEXT NOT NULL, seen INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (feed, id)) WITHOUT ROWID;
      CREATE TABLE sending (
        feed TEXT NOT NULL, id TEXT NOT NULL, folder TEXT NOT NULL, message_id TEXT NOT NULL, at TEXT NOT NULL,
        PRIMARY KEY (feed, id)) WITHOUT ROWID;
      INSERT INTO feeds VALUES ('${url}', '{"consecutiveFailures":0,"etag":"v1"}');
      INSERT INTO delivered VALUES ('${url}', 'old', 'News', '<old@x>', '2026-01-01T00:00:00.000Z', 0);`);
    old.close();
    const store = await openStore(dir);
    try {
      assert.equal(await store.isDelivered(url, "old"), true);
      const book = new FeedStateBook(store);
      assert.equal((await book.getFeed(url))?.etag, "v1");
      assert.deepEqual((await book.listFeeds()).map((f) => f.url), ["https://***:***@example.org/feed.xml"]);
    } finally {
      await store.close();
    }
  });

  test("a schema 3 database upgrades in place: its feeds table rows become the feed stages' key/values", async () => {
    const dir = join(root, "schema-3");
    mkdirSync(dir);
    const file = join(dir, "state.db");
    const old = new DatabaseSync(file);
    // Exactly what schema version 3 created, with two feeds (one never delivered), deliveries and a mark.
    old.exec(`PRAGMA journal_mode = WAL;
      CREATE TABLE schema_version (version INTEGER NOT NULL);
      INSERT INTO schema_version (version) VALUES (1), (2), (3);
      CREATE TABLE feeds (url TEXT PRIMARY KEY, state TEXT NOT NULL) WITHOUT ROWID;
      CREATE TABLE delivered (
        feed TEXT NOT NULL, id TEXT NOT NULL, folder TEXT, message_id TEXT,
        at TEXT NOT NULL, seen INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (feed, id)) WITHOUT ROWID;
      CREATE TABLE sending (
        feed TEXT NOT NULL, id TEXT NOT NULL, folder TEXT NOT NULL, message_id TEXT NOT NULL, at TEXT NOT NULL,
        PRIMARY KEY (feed, id)) WITHOUT ROWID;
      CREATE TABLE lease (
        name TEXT PRIMARY KEY, token TEXT NOT NULL, pid INTEGER NOT NULL, host TEXT NOT NULL,
        since TEXT NOT NULL, expires_at TEXT NOT NULL) WITHOUT ROWID;
      INSERT INTO feeds VALUES ('${FEED}', '{"consecutiveFailures":3,"etag":"v3","nextAttemptAfter":"2100-01-01T00:00:00.000Z","title":"T"}');
      INSERT INTO feeds VALUES ('${OTHER}', '{"consecutiveFailures":0}');
      INSERT INTO delivered VALUES ('${FEED}', 'a', 'News', '<a@x>', '2026-01-01T00:00:00.000Z', 0);
      INSERT INTO delivered VALUES ('${FEED}', 'b', NULL, NULL, '2026-01-01T00:00:00.000Z', 1);
      INSERT INTO sending VALUES ('${FEED}', 'c', 'News', '<c@x>', '2026-01-01T00:00:00.000Z');`);
    old.close();
    const store = await openStore(dir);
    try {
      const book = new FeedStateBook(store);
      assert.deepEqual(await book.getFeed(FEED), {
        consecutiveFailures: 3,
        etag: "v3",
        nextAttemptAfter: "2100-01-01T00:00:00.000Z",
        title: "T",
      });
      assert.equal((await book.shouldFetch(FEED)).fetch, false);
      assert.deepEqual(await book.listFeeds(), [
        { url: OTHER, state: { consecutiveFailures: 0 }, delivered: 0 },
        { url: FEED, state: (await book.getFeed(FEED))!, delivered: 2 },
      ]);
      assert.deepEqual(await store.filterUndelivered(FEED, ["a", "b", "c"]), ["c"]);
      assert.deepEqual((await store.listSending()).map((m) => m.id), ["c"]);
    } finally {
      await store.close();
    }
    const db = new DatabaseSync(file);
    try {
      assert.equal(db.prepare("SELECT MAX(version) AS v FROM schema_version").get()?.v, 5);
      assert.equal(db.prepare("SELECT name FROM sqlite_master WHERE name = 'feeds'").get(), undefined);
    } finally {
      db.close();
    }
  });

  test("a state dir that cannot be created is E_STATE_NOT_WRITABLE naming the dir", async () => {
    const blocker = join(root, "a-file");
    writeFileSync(blocker, "");
    await assert.rejects(openStore(join(blocker, "state")), (e: StateStoreError) => {
      assert.equal(e.code, "E_STATE_NOT_WRITABLE");
      assert.ok(e.message.includes(join(blocker, "state")), e.message);
      assert.match(e.hint!, /STATE_DIR/);
      return true;
    });
  });

  test("a write lock held by another connection is E_STATE_LOCKED after the busy timeout", async () => {
    const dir = join(root, "locked");
    const store = await openStore(dir, { busyTimeoutMs: 20 });
    const other = new DatabaseSync(join(dir, "state.db"));
    try {
      other.exec("BEGIN IMMEDIATE");
      await assert.rejects(store.markDelivered(FEED, "a"), (e: StateStoreError) => {
        assert.equal(e.code, "E_STATE_LOCKED");
        assert.match(e.message, /state\.db: database is locked/);
        return true;
      });
      other.exec("ROLLBACK");
      await store.markDelivered(FEED, "a");
      assert.equal(await store.isDelivered(FEED, "a"), true);
    } finally {
      other.close();
      await store.close();
    }
  });
});
