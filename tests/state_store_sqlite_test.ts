/**
 * What only the sqlite store does: WAL and the schema version, upgrading an older schema, refusing a
 * newer one, and clear errors for a damaged file, an unwritable dir and a held write lock.
 */
import { after, before, describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { openStore, SQLITE_SCHEMA_VERSION, type StateStoreError } from "../engine/state/mod.ts";
import { FEED } from "./support/state_store_fixtures.ts";

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
      assert.equal((await store.getFeed(FEED))?.etag, "v1");
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
      assert.equal(SQLITE_SCHEMA_VERSION, 2);
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
      (e: StateStoreError) => e.code === "E_STATE_SCHEMA" && /newer/.test(e.hint!),
    );
  });

  test("a damaged file is E_STATE_CORRUPT naming the path", async () => {
    const file = join(root, "damaged.db");
    writeFileSync(file, "this is not sqlite ".repeat(500));
    await assert.rejects(openStore(file), (e: StateStoreError) => {
      assert.equal(e.code, "E_STATE_CORRUPT");
      assert.ok(e.message.includes(file), e.message);
      assert.match(e.hint!, /move the file away/);
      return true;
    });
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
