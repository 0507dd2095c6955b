/**
 * One contract suite for every StateStore adapter (memory, sqlite, Deno KV where the runtime has it):
 * the same cases run against each, plus persistence across reopen for the persistent ones.
 */
import { after, before, describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { MemoryStore, openStore, type StateStore, StateStoreError } from "../engine/state/mod.ts";
import { kvSupport } from "../engine/runtime/kv.ts";
import { DEFAULT_BACKOFF } from "../stages/feed_health.ts";
import { FeedStateBook } from "../stages/feed_state.ts";
import { EntryVersionBook } from "../stages/entry_versions.ts";

/** The feed stages' records over `store` (the FeedStateBook cases run over every adapter). */
function book(store: StateStore): FeedStateBook {
  return new FeedStateBook(store);
}
import { acquireLease } from "../engine/state/lease.ts";
import type { LeaseRecord } from "../engine/state/store.ts";
import { processIdentity } from "../engine/runtime/process_identity.ts";
import process from "node:process";
import { at, FEED, OTHER, T0 } from "./support/state_store_fixtures.ts";
import { natsSkip, type RunningNats, startNatsServer } from "./support/nats_server.ts";

const MIN = 60_000;

function lease(token: string, since: Date, ttlMs: number): LeaseRecord {
  return {
    token,
    pid: 4242,
    host: "elsewhere",
    since: since.toISOString(),
    expiresAt: new Date(since.getTime() + ttlMs).toISOString(),
  };
}

let root = "";
before(() => {
  root = mkdtempSync(join(tmpdir(), "sluice-state-"));
});
after(() => {
  rmSync(root, { recursive: true, force: true });
});

let places = 0;
/** A fresh location; the opener reopens the same one each call. */
type Opener = () => Promise<StateStore>;

interface Adapter {
  name: string;
  persistent: boolean;
  skip?: string | false;
  place(): Opener;
  /** Starts what the adapter needs (a server) before its suite; `teardown` stops it. */
  setup?(): Promise<void>;
  teardown?(): Promise<void>;
}

let nats: RunningNats | undefined;

const kv = kvSupport();
const adapters: Adapter[] = [
  {
    name: "memory",
    persistent: false,
    place: () => () => Promise.resolve(new MemoryStore()),
  },
  {
    name: "sqlite",
    persistent: true,
    place() {
      const dir = join(root, `sqlite-${places++}`);
      return () => openStore(dir);
    },
  },
  {
    name: "kv",
    persistent: true,
    skip: kv.available ? undefined : `Deno KV suite skipped: ${kv.hint}`,
    place() {
      const file = join(root, `kv-${places++}`, "state.kv");
      return () => openStore(`kv:${file}`);
    },
  },
  {
    name: "nats",
    persistent: true,
    skip: natsSkip(),
    async setup() {
      nats = await startNatsServer();
    },
    async teardown() {
      await nats?.stop();
    },
    place() {
      const spec = `${nats!.url}/contract_${places++}`;
      return () => openStore(spec);
    },
  },
];

/** Opens a store in a fresh place, runs `fn`, closes it. */
async function withStore(adapter: Adapter, fn: (store: StateStore, reopen: Opener) => Promise<void>) {
  const open = adapter.place();
  const store = await open();
  try {
    await fn(store, open);
  } finally {
    await store.close();
  }
}

for (const adapter of adapters) {
  // Bun prints nothing for a skipped describe: say it here.
  if (adapter.skip) console.log(adapter.skip);
  describe(`StateStore contract: ${adapter.name}`, { skip: adapter.skip }, () => {
    if (adapter.setup) before(() => adapter.setup!());
    if (adapter.teardown) after(() => adapter.teardown!());
    test("key/value: get, set, delete; values are JSON copies", async () => {
      await withStore(adapter, async (store) => {
        assert.equal(await store.get("a/1"), undefined);
        const value = { n: 1, list: ["x"], nested: { ok: true } };
        await store.set("a/1", value);
        value.n = 2;
        assert.deepEqual(await store.get("a/1"), { n: 1, list: ["x"], nested: { ok: true } });
        await store.set("a/1", "replaced");
        assert.equal(await store.get("a/1"), "replaced");
        await store.delete("a/1");
        await store.delete("a/never");
        assert.equal(await store.get("a/1"), undefined);
      });
    });

    test("key/value: list by prefix, sorted by key, long keys and % _ in a prefix included", async () => {
      await withStore(adapter, async (store) => {
        const long = "p/" + "x".repeat(3000);
        await store.set("p/b", 2);
        await store.set("p/a", 1);
        await store.set(long, 3);
        await store.set("q/a", 4);
        await store.set("p%_/a", 5);
        assert.deepEqual(await store.list("p/"), [
          { key: "p/a", value: 1 },
          { key: "p/b", value: 2 },
          { key: long, value: 3 },
        ]);
        assert.deepEqual(await store.list("p%_/"), [{ key: "p%_/a", value: 5 }]);
        assert.deepEqual(await store.list("none/"), []);
        assert.equal((await store.list("")).length, 5);
      });
    });

    test("key/value: update is atomic; of 20 updates at once none is lost", async () => {
      await withStore(adapter, async (store) => {
        assert.equal(await store.update<number>("count", (n) => (n ?? 0) + 1), 1);
        await Promise.all(
          Array.from({ length: 20 }, () => store.update<number>("count", (n) => (n ?? 0) + 1)),
        );
        assert.equal(await store.get("count"), 21);
        await store.delete("count");
        assert.equal(await store.update<number>("count", (n) => (n ?? 10) + 1), 11);
      });
    });

    test("FeedStateBook: getFeed is undefined for an unknown feed; updateFeed merges and drops undefined keys", async () => {
      await withStore(adapter, async (store) => {
        assert.equal(await book(store).getFeed(FEED), undefined);
        await book(store).updateFeed(FEED, { etag: '"a"', title: "Example" });
        await book(store).updateFeed(FEED, {
          lastModified: "Tue, 01 Dec 2026 00:00:00 GMT",
          title: undefined,
        });
        assert.deepEqual(await book(store).getFeed(FEED), {
          consecutiveFailures: 0,
          etag: '"a"',
          lastModified: "Tue, 01 Dec 2026 00:00:00 GMT",
        });
      });
    });

    test("markDelivered is idempotent and per feed; counts follow", async () => {
      await withStore(adapter, async (store) => {
        assert.equal(await store.isDelivered(FEED, "a"), false);
        await store.markDelivered(FEED, "a", { folder: "News", messageId: "<a@x>" });
        await store.markDelivered(FEED, "a", { folder: "Other" });
        await store.markDelivered(OTHER, "b");
        assert.equal(await store.isDelivered(FEED, "a"), true);
        assert.equal(await store.isDelivered(OTHER, "a"), false);
        assert.equal(await store.deliveredCount(FEED), 1);
        assert.equal(await store.deliveredCount(), 2);
        assert.equal(await store.deliveredCount("https://unknown/"), 0);
      });
    });

    test("markDeliveredMany + filterUndelivered keep input order, drop duplicates", async () => {
      await withStore(adapter, async (store) => {
        await store.markDeliveredMany(FEED, [{ id: "b", folder: "News" }, { id: "d" }, { id: "b" }]);
        assert.deepEqual(await store.filterUndelivered(FEED, ["e", "a", "b", "c", "a", "d"]), [
          "e",
          "a",
          "c",
        ]);
        assert.deepEqual(await store.filterUndelivered(FEED, []), []);
        assert.deepEqual(await store.filterUndelivered(OTHER, ["b", "x"]), ["b", "x"]);
        assert.equal(await store.deliveredCount(FEED), 2);
      });
    });

    test("markAllSeen makes current entries count as delivered; the feed is listed", async () => {
      await withStore(adapter, async (store) => {
        await store.markAllSeen(FEED, ["1", "2", "3"]);
        assert.deepEqual(await store.filterUndelivered(FEED, ["1", "4", "3"]), ["4"]);
        assert.deepEqual(await book(store).listFeeds(), [
          { url: FEED, state: { consecutiveFailures: 0 }, delivered: 3 },
        ]);
      });
    });

    test("ledger: listScopes counts each scope's ids; forgetScope drops one scope's ids and marks", async () => {
      await withStore(adapter, async (store) => {
        assert.deepEqual(await store.listScopes(), []);
        await store.markDeliveredMany("scope-a", [{ id: "1" }, { id: "2" }]);
        await store.markAllSeen(OTHER, ["z"]);
        await store.markSending([{ feedUrl: "scope-a", id: "3", folder: "News", messageId: "<3@x>" }]);
        const sorted = (await store.listScopes()).sort((a, b) => (a.scope < b.scope ? -1 : 1));
        assert.deepEqual(sorted, [{ scope: OTHER, delivered: 1 }, { scope: "scope-a", delivered: 2 }]);
        await store.forgetScope("scope-a");
        assert.deepEqual(await store.listScopes(), [{ scope: OTHER, delivered: 1 }]);
        assert.deepEqual(await store.listSending(), []);
        assert.equal(await store.isDelivered(OTHER, "z"), true);
      });
    });

    test("filterUndelivered on 10,000 ids with half delivered", async () => {
      await withStore(adapter, async (store) => {
        const ids = Array.from({ length: 10_000 }, (_, i) => `urn:entry:${i}`);
        await store.markDeliveredMany(FEED, ids.filter((_, i) => i % 2 === 0).map((id) => ({ id })));
        const fresh = await store.filterUndelivered(FEED, ids);
        assert.equal(fresh.length, 5_000);
        assert.ok(fresh.every((id) => Number(id.slice(10)) % 2 === 1));
        assert.equal(await store.deliveredCount(FEED), 5_000);
      });
    });

    test("filterUndelivered answers the same for short and long id lists (KV reads vs lists)", async () => {
      await withStore(adapter, async (store) => {
        const long = `tag:example.org,2026:${"z".repeat(700)}`;
        const ids = [long, ...Array.from({ length: 1500 }, (_, i) => `n${i}`)];
        await store.markDeliveredMany(FEED, ids.filter((_, i) => i % 3 === 0).map((id) => ({ id })));
        for (const size of [999, 1001]) {
          const fresh = await store.filterUndelivered(FEED, ids.slice(0, size));
          assert.deepEqual(fresh, ids.slice(0, size).filter((_, i) => i % 3 !== 0), `${size} ids`);
        }
      });
    });

    test("ids and feed URLs longer than a KV key still dedupe", async () => {
      await withStore(adapter, async (store) => {
        const longFeed = `${FEED}?q=${"f".repeat(900)}`;
        const longId = `https://example.org/${"x".repeat(1500)}`;
        const twin = `https://example.org/${"x".repeat(1499)}y`;
        await store.markDelivered(longFeed, longId);
        assert.equal(await store.isDelivered(longFeed, longId), true);
        assert.deepEqual(await store.filterUndelivered(longFeed, [longId, twin]), [twin]);
        assert.equal((await book(store).listFeeds())[0].url, longFeed);
      });
    });

    test("FeedStateBook: listFeeds sorts by URL (example.net before example.org) and carries state and counts", async () => {
      await withStore(adapter, async (store) => {
        await store.markDelivered(OTHER, "x");
        await book(store).recordSuccess(FEED, { title: "Example", etag: '"e"' }, T0);
        const feeds = await book(store).listFeeds();
        assert.deepEqual(feeds.map((f) => [f.url, f.delivered, f.state.title]), [
          [OTHER, 1, undefined],
          [FEED, 0, "Example"],
        ]);
      });
    });

    test("FeedStateBook: forgetFeed removes the feed's delivered ids and state, not other feeds'", async () => {
      await withStore(adapter, async (store) => {
        await store.markDeliveredMany(FEED, Array.from({ length: 1200 }, (_, i) => ({ id: `e${i}` })));
        await book(store).recordFailure(FEED, "HTTP 500", T0);
        await store.markDelivered(OTHER, "e1");
        await book(store).forgetFeed(FEED);
        assert.equal(await book(store).getFeed(FEED), undefined);
        assert.equal(await store.isDelivered(FEED, "e1"), false);
        assert.equal(await store.deliveredCount(FEED), 0);
        assert.equal(await store.isDelivered(OTHER, "e1"), true);
        assert.deepEqual((await book(store).listFeeds()).map((f) => f.url), [OTHER]);
      });
    });

    test("EntryVersionBook (on-update): versions by entry, updated in place, pruned to the feed, forgotten with it", async () => {
      await withStore(adapter, async (store) => {
        const versions = new EntryVersionBook(store);
        assert.deepEqual(await versions.read(FEED), {});
        await versions.record(FEED, {
          a: { hash: "h1", folder: "News", uid: 4 },
          b: { hash: "h2", folder: "News" },
        });
        await versions.record(FEED, { a: { hash: "h3", folder: "News", uid: 9 } });
        await versions.record(OTHER, { a: { hash: "x", folder: "Other" } });
        assert.deepEqual(await versions.read(FEED), {
          a: { hash: "h3", folder: "News", uid: 9 },
          b: { hash: "h2", folder: "News" },
        });
        // An entry gone from the feed leaves the record when the feed is next recorded.
        await versions.record(FEED, { c: { hash: "h4", folder: "News" } }, new Set(["a", "c"]));
        assert.deepEqual(Object.keys(await versions.read(FEED)).sort(), ["a", "c"]);
        await Promise.all(
          Array.from(
            { length: 10 },
            (_, i) => versions.record(FEED, { [`n${i}`]: { hash: "h", folder: "News" } }),
          ),
        );
        assert.equal(Object.keys(await versions.read(FEED)).length, 12, "no update lost");
        await store.markDelivered(FEED, "a");
        await book(store).forgetFeed(FEED);
        assert.deepEqual(await versions.read(FEED), {});
        assert.deepEqual(Object.keys(await versions.read(OTHER)), ["a"]);
        assert.deepEqual((await book(store).listFeeds()).map((f) => f.url), [], "versions are not feeds");
      });
    });

    test("FeedStateBook: back-off: free failures, then doubling waits that shouldFetch honours, reset on success", async () => {
      await withStore(adapter, async (store) => {
        assert.deepEqual(await book(store).shouldFetch(FEED, T0), { fetch: true });
        let s = await book(store).recordFailure(FEED, "HTTP 503", T0);
        assert.equal(s.consecutiveFailures, 1);
        assert.equal(s.nextAttemptAfter, undefined);
        s = await book(store).recordFailure(FEED, "HTTP 503", T0);
        assert.equal(s.nextAttemptAfter, undefined);
        assert.equal((await book(store).shouldFetch(FEED, T0)).fetch, true);

        s = await book(store).recordFailure(FEED, "timeout", T0);
        assert.equal(s.consecutiveFailures, 3);
        assert.equal(s.lastError, "timeout");
        assert.equal(s.nextAttemptAfter, at(30 * MIN).toISOString());
        const skipped = await book(store).shouldFetch(FEED, at(29 * MIN));
        assert.equal(skipped.fetch, false);
        assert.match(skipped.reason!, /backing off after 3 failures.*timeout/);
        assert.deepEqual(await book(store).shouldFetch(FEED, at(30 * MIN)), { fetch: true });

        s = await book(store).recordFailure(FEED, "timeout", at(30 * MIN));
        assert.equal(s.nextAttemptAfter, at(90 * MIN).toISOString());

        s = await book(store).recordSuccess(FEED, { etag: '"v2"', title: "Back" }, at(100 * MIN));
        assert.equal(s.consecutiveFailures, 0);
        assert.equal(s.nextAttemptAfter, undefined);
        assert.equal(s.lastError, undefined);
        assert.equal(s.lastSuccess, at(100 * MIN).toISOString());
        assert.deepEqual(await book(store).getFeed(FEED), s);
        assert.deepEqual(await book(store).shouldFetch(FEED, at(100 * MIN)), { fetch: true });
      });
    });

    test("FeedStateBook: back-off is capped at 24 h", async () => {
      await withStore(adapter, async (store) => {
        let s = await book(store).recordFailure(FEED, "DNS", T0);
        for (let i = 0; i < 40; i++) s = await book(store).recordFailure(FEED, "DNS", T0);
        assert.equal(s.consecutiveFailures, 41);
        assert.equal(Date.parse(s.nextAttemptAfter!) - T0.getTime(), DEFAULT_BACKOFF.maxMs);
      });
    });

    test("FeedStateBook: recordSuccess keeps validators left undefined (304) and clears those set to null", async () => {
      await withStore(adapter, async (store) => {
        await book(store).recordSuccess(FEED, { etag: '"1"', lastModified: "Mon", title: "T" }, T0);
        let s = await book(store).recordSuccess(FEED, {}, at(MIN));
        assert.deepEqual([s.etag, s.lastModified, s.title], ['"1"', "Mon", "T"]);
        s = await book(store).recordSuccess(FEED, { etag: null, lastModified: "Tue" }, at(2 * MIN));
        assert.deepEqual([s.etag, s.lastModified, s.title], [undefined, "Tue", "T"]);
        assert.equal("etag" in (await book(store).getFeed(FEED))!, false);
      });
    });

    test("markSending records marks of many feeds at once; a new mark of an entry replaces the old", async () => {
      await withStore(adapter, async (store) => {
        assert.deepEqual(await store.listSending(), []);
        await store.markSending([
          { feedUrl: FEED, id: "a", folder: "News", messageId: "<a@x>" },
          { feedUrl: OTHER, id: "b", folder: "Tech", messageId: "<b@x>" },
        ]);
        await store.markSending([{ feedUrl: FEED, id: "a", folder: "Moved", messageId: "<a2@x>" }]);
        const marks = await store.listSending();
        assert.ok(marks.every((m) => !Number.isNaN(Date.parse(m.at!))), JSON.stringify(marks));
        assert.deepEqual(marks.map(({ at: _, ...m }) => m).sort((x, y) => x.id < y.id ? -1 : 1), [
          { feedUrl: FEED, id: "a", folder: "Moved", messageId: "<a2@x>" },
          { feedUrl: OTHER, id: "b", folder: "Tech", messageId: "<b@x>" },
        ]);
        assert.equal(await store.isDelivered(FEED, "a"), false, "a mark is no delivery");
        assert.deepEqual(await book(store).listFeeds(), [], "a mark creates no feed record");
        await store.markSending([]);
        assert.equal((await store.listSending()).length, 2);
      });
    });

    test("a delivered or seen record clears the entry's sending mark; clearSending drops marks", async () => {
      await withStore(adapter, async (store) => {
        const mark = (feedUrl: string, id: string) => ({ feedUrl, id, folder: "F", messageId: `<${id}@x>` });
        await store.markSending([mark(FEED, "a"), mark(FEED, "b"), mark(FEED, "c"), mark(OTHER, "a")]);
        await store.markDeliveredMany(FEED, [{ id: "a", folder: "F" }]);
        await store.markAllSeen(FEED, ["b"]);
        const left = () => store.listSending().then((l) => l.map((m) => `${m.feedUrl} ${m.id}`).sort());
        assert.deepEqual(await left(), [`${OTHER} a`, `${FEED} c`]);
        await store.markDelivered(FEED, "a");
        await store.clearSending([{ feedUrl: OTHER, id: "a" }, { feedUrl: OTHER, id: "never-marked" }]);
        assert.deepEqual(await left(), [`${FEED} c`]);
        await store.clearSending([]);
        assert.equal(await store.isDelivered(FEED, "c"), false);
        await store.markDeliveredMany(FEED, [{ id: "c" }]);
        assert.deepEqual(await left(), []);
      });
    });

    test("sending marks of long ids and feed URLs; forgetFeed drops the feed's marks only", async () => {
      await withStore(adapter, async (store) => {
        const longFeed = `${FEED}?q=${"f".repeat(900)}`;
        const longId = `https://example.org/${"x".repeat(1500)}`;
        await store.markSending([
          { feedUrl: longFeed, id: longId, folder: "F", messageId: "<l@x>" },
          { feedUrl: longFeed, id: "short", folder: "F", messageId: "<s@x>" },
          { feedUrl: OTHER, id: longId, folder: "G", messageId: "<o@x>" },
        ]);
        const marks = await store.listSending();
        assert.ok(marks.some((m) => m.feedUrl === longFeed && m.id === longId), "long keys come back whole");
        await store.markDelivered(longFeed, longId);
        assert.equal((await store.listSending()).length, 2);
        await book(store).forgetFeed(longFeed);
        assert.deepEqual((await store.listSending()).map((m) => [m.feedUrl, m.id]), [[OTHER, longId]]);
      });
    });

    test("a batch of 1200 marks and their delivered records (more than one KV commit)", async () => {
      await withStore(adapter, async (store) => {
        const ids = Array.from({ length: 1200 }, (_, i) => `e${i}`);
        await store.markSending(
          ids.map((id) => ({ feedUrl: FEED, id, folder: "F", messageId: `<${id}@x>` })),
        );
        assert.equal((await store.listSending()).length, 1200);
        await store.markDeliveredMany(FEED, ids.slice(0, 1100).map((id) => ({ id })));
        assert.deepEqual((await store.listSending()).map((m) => m.id).sort(), ids.slice(1100).sort());
        assert.equal(await store.deliveredCount(FEED), 1100);
      });
    });

    test("lease: claimed when free, refused to another token until expiry, renewed, released", async () => {
      await withStore(adapter, async (store) => {
        const a = lease("a", T0, 30_000);
        const b = lease("b", T0, 30_000);
        assert.equal(await store.readLease(), undefined);
        assert.deepEqual(await store.claimLease(a, { now: T0 }), a);
        assert.deepEqual(await store.claimLease(b, { now: at(29_000) }), a, "a live lease is kept");
        const renewed = { ...a, expiresAt: at(60_000).toISOString() };
        assert.deepEqual(await store.claimLease(renewed, { now: at(29_000) }), renewed, "the holder renews");
        assert.deepEqual(await store.claimLease(b, { now: at(61_000) }), b, "an expired lease is free");
        await store.releaseLease("a");
        assert.deepEqual(await store.readLease(), b, "only the holder releases");
        assert.deepEqual(
          await store.claimLease(a, { now: T0, replace: "b" }),
          a,
          "a dead holder is replaced",
        );
        await store.releaseLease("a");
        assert.equal(await store.readLease(), undefined);
      });
    });

    test("lease: of many claims at once, exactly one wins", async () => {
      await withStore(adapter, async (store) => {
        const results = await Promise.all(
          Array.from({ length: 8 }, (_, i) => store.claimLease(lease(`t${i}`, T0, 30_000), { now: T0 })),
        );
        const winners = new Set(results.map((r) => r.token));
        assert.equal(winners.size, 1);
        assert.equal((await store.readLease())?.token, [...winners][0]);
      });
    });

    test("acquireLease refuses a second run with the holder's pid, host and since; frees on release", async () => {
      await withStore(adapter, async (store) => {
        const held = await acquireLease(store);
        await assert.rejects(acquireLease(store), (e: unknown) => {
          assert.ok(e instanceof StateStoreError);
          assert.equal(e.code, "E_STATE_LEASED");
          assert.match(e.message, new RegExp(`pid ${process.pid} on host \\S+ since ${held.record.since}`));
          assert.match(e.hint ?? "", /--wait-lock/);
          return true;
        });
        await held.release();
        await (await acquireLease(store)).release();
      });
    });

    test("acquireLease takes over at once the lease of a pid gone on this host", async () => {
      await withStore(adapter, async (store) => {
        const me = processIdentity();
        const dead = { ...lease("dead", new Date(), 3_600_000), host: me.host, pid: 2 ** 22 + 12345 };
        await store.claimLease(dead);
        const held = await acquireLease(store);
        assert.notEqual(held.record.token, "dead");
        await held.release();
      });
    });

    test("feed URLs are stored without their credentials, and found by the URL with them", async () => {
      await withStore(adapter, async (store) => {
        const secret = "https://bob:hunter22@example.org/feed.xml?token=s3cr3t";
        await store.markDeliveredMany(secret, [{ id: "a" }]);
        await store.markSending([{ feedUrl: secret, id: "b", folder: "F", messageId: "<b@x>" }]);
        await book(store).recordFailure(secret, "HTTP 500", T0);
        assert.equal(await store.isDelivered(secret, "a"), true);
        assert.deepEqual((await book(store).listFeeds()).map((f) => f.url), [
          "https://***:***@example.org/feed.xml?token=***",
        ]);
        assert.deepEqual((await store.listSending()).map((m) => m.feedUrl), [
          "https://***:***@example.org/feed.xml?token=***",
        ]);
      });
    });

    test("close is idempotent and later calls fail with E_STATE_CLOSED", async () => {
      const store = await adapter.place()();
      await store.close();
      await store.close();
      await assert.rejects(store.isDelivered(FEED, "a"), (e: unknown) => {
        assert.ok(e instanceof StateStoreError);
        assert.equal(e.code, "E_STATE_CLOSED");
        return true;
      });
    });

    // A NATS bucket lives in the server's store, not in files of this user.
    if (adapter.persistent && adapter.name !== "nats") {
      test("its folder and files are private to the user (0700 / 0600), the secret of a feed URL not in them", async () => {
        await withStore(adapter, async (store) => {
          const url = "https://reader:pa55w0rd@example.org/feed.xml?api_key=k3yvalue";
          await store.markDeliveredMany(url, [{ id: "a" }]);
          await book(store).recordSuccess(url, { title: "T" });
          const file = store.description.replace(/^(sqlite|kv):/, "");
          assert.equal(statSync(dirname(file)).mode & 0o777, 0o700);
          for (const f of readdirSync(dirname(file))) {
            assert.equal(statSync(join(dirname(file), f)).mode & 0o777, 0o600, f);
            const bytes = new TextDecoder("latin1").decode(readFileSync(join(dirname(file), f)));
            assert.ok(!bytes.includes("pa55w0rd") && !bytes.includes("k3yvalue"), f);
          }
        });
      });
    }
    if (adapter.persistent) {
      test("state and deliveries persist across close and reopen", async () => {
        await withStore(adapter, async (store, reopen) => {
          await store.markDeliveredMany(FEED, [{ id: "a", folder: "News" }, { id: "b" }]);
          await store.markAllSeen(OTHER, ["z"]);
          await book(store).recordFailure(FEED, "HTTP 500", T0);
          await store.markSending([{ feedUrl: OTHER, id: "y", folder: "News", messageId: "<y@x>" }]);
          await store.set("kept/1", { a: [1, 2] });
          await store.close();
          const again = await reopen();
          try {
            assert.deepEqual((await again.listSending()).map(({ at: _, ...m }) => m), [
              { feedUrl: OTHER, id: "y", folder: "News", messageId: "<y@x>" },
            ]);
            assert.deepEqual(await again.filterUndelivered(FEED, ["a", "b", "c"]), ["c"]);
            assert.equal(await again.isDelivered(OTHER, "z"), true);
            assert.equal((await book(again).getFeed(FEED))?.consecutiveFailures, 1);
            assert.equal(await again.deliveredCount(), 3);
            assert.deepEqual(await again.list("kept/"), [{ key: "kept/1", value: { a: [1, 2] } }]);
          } finally {
            await again.close();
          }
        });
      });
    }
  });
}
