/**
 * The feed records of an older sluice, written by the store itself, still read after the upgrade that
 * moved them to the key/value part (FeedStateBook): Deno KV schema 2 -> 3 and the NATS bucket's `f.`
 * keys. (The sqlite upgrade is in state_store_sqlite_test.ts.)
 */
import { after, before, describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kvm } from "npm:@nats-io/kv@^3.4.0";
import { openStore } from "../engine/state/mod.ts";
import { kvSupport, openKv } from "../engine/runtime/kv.ts";
import { openBucket } from "../engine/nats/bucket.ts";
import { openNats } from "../engine/nats/connection.ts";
import { FeedStateBook } from "../stages/feed_state.ts";
import { FEED, OTHER } from "./support/state_store_fixtures.ts";
import { natsSkip, type RunningNats, startNatsServer } from "./support/nats_server.ts";

const OLD_STATE = { consecutiveFailures: 3, etag: "v3", nextAttemptAfter: "2100-01-01T00:00:00.000Z" };

let root = "";
before(() => {
  root = mkdtempSync(join(tmpdir(), "sluice-upgrade-"));
});
after(() => {
  rmSync(root, { recursive: true, force: true });
});

/** What every upgraded store must show: the old records through the book, deliveries kept. */
async function assertUpgraded(spec: string) {
  const store = await openStore(spec);
  try {
    const book = new FeedStateBook(store);
    assert.deepEqual(await book.getFeed(FEED), OLD_STATE);
    assert.equal((await book.shouldFetch(FEED)).fetch, false);
    assert.deepEqual(await book.listFeeds(), [
      { url: OTHER, state: { consecutiveFailures: 0 }, delivered: 0 },
      { url: FEED, state: OLD_STATE, delivered: 1 },
    ]);
    assert.deepEqual(await store.filterUndelivered(FEED, ["a", "b"]), ["b"]);
    await book.recordSuccess(FEED, { etag: "v4" });
    assert.equal((await book.getFeed(FEED))?.consecutiveFailures, 0);
  } finally {
    await store.close();
  }
}

const kv = kvSupport();
if (!kv.available) console.log(`Deno KV upgrade skipped: ${kv.hint}`);
describe("Deno KV schema 2 -> 3", { skip: kv.available ? undefined : kv.hint }, () => {
  test("feed records move to `feed/` values and ledger scopes; deliveries stay", async () => {
    const dir = join(root, "kv");
    mkdirSync(dir);
    const file = join(dir, "state.kv");
    const db = await openKv(file);
    // Exactly what schema 2 wrote for one feed with a delivery and one feed without.
    await db.set(["sluice", "schema"], 2);
    await db.set(["sluice", "feed", FEED], { url: FEED, state: OLD_STATE });
    await db.set(["sluice", "feed", OTHER], { url: OTHER, state: { consecutiveFailures: 0 } });
    await db.set(["sluice", "delivered", FEED, "a"], { at: "2026-01-01T00:00:00.000Z", seen: false });
    db.close();
    await assertUpgraded(`kv:${file}`);
    const again = await openKv(file);
    try {
      assert.equal((await again.get(["sluice", "schema"])).value, 3);
      assert.equal((await again.get(["sluice", "feed", FEED])).versionstamp, null);
    } finally {
      again.close();
    }
  });
});

let nats: RunningNats | undefined;
const skip = natsSkip();
if (skip) console.log(skip);
describe("NATS bucket with an older sluice's feed records", { skip }, () => {
  before(async () => {
    nats = await startNatsServer();
  });
  after(async () => {
    await nats?.stop();
  });

  test("`f.` records move to `k.` values and `c.` scopes on open; deliveries stay", async () => {
    const part = (text: string) => createHash("sha256").update(text).digest("hex").slice(0, 32);
    const link = await openNats(nats!.url);
    try {
      const bucket = await openBucket(new Kvm(link.nc), "upgrade", { history: 1, replicas: 1 });
      const put = (key: string, value: unknown) => bucket.put(key, JSON.stringify(value));
      await put(`f.${part(FEED)}`, { url: FEED, state: OLD_STATE });
      await put(`f.${part(OTHER)}`, { url: OTHER, state: { consecutiveFailures: 0 } });
      await put(`d.${part(FEED)}.${part("a")}`, { at: "2026-01-01T00:00:00.000Z", seen: false });
      await assertUpgraded(`${nats!.url}/upgrade`);
      const left: string[] = [];
      for await (const k of await bucket.keys("f.*")) {
        if (await bucket.get(k).then((e) => e?.operation === "PUT")) left.push(k);
      }
      assert.deepEqual(left, []);
    } finally {
      await link.release();
    }
  });
});
