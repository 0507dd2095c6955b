import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { runTick } from "../deploy.ts";
import { silentLogger } from "../engine/pipeline/mod.ts";
import { openStore } from "../engine/state/mod.ts";
import { startFeedFarm } from "./support/feed_farm.ts";
import { readMaildir } from "./support/maildir_reader.ts";
import { headerValue, parseMime } from "./support/mime_reader.ts";

test("hard abort", async () => {
  for (const k of [21, 22, 23, 24]) {
    const dir = await mkdtemp(path.join(tmpdir(), "sluice-abort-"));
    const farm = await startFeedFarm({ feeds: 6, entries: 4, images: 1, latencyMs: 3 });
    await writeFile(path.join(dir, "feeds.txt"), farm.feedListText);
    const env = { FEEDS: path.join(dir, "feeds.txt"), MAILDIR: path.join(dir, "M"), STATE_DIR: path.join(dir, "s") };
    const ac = new AbortController();
    farm.until((c) => c.imageRequests >= k).then(() => ac.abort(new Error("hard stop")));
    let t = performance.now();
    const first = await runTick({ env, signal: ac.signal, logger: silentLogger });
    console.log("run1 ms", performance.now() - t); t = performance.now();
    const ids1 = (await readMaildir(env.MAILDIR)).map((m) => headerValue(parseMime(m.raw), "X-Sluice-Entry-Id"));
    const store = await openStore(env.STATE_DIR);
    const committed = [];
    for (const u of farm.feedUrls) if ((await store.getFeed(u))?.etag) committed.push(u);
    const recorded = await store.deliveredCount();
    await store.close();
    farm.resetCounters();
    const second = await runTick({ env, logger: silentLogger });
    console.log("run2 ms", performance.now() - t);
    const ids = (await readMaildir(env.MAILDIR)).map((m) => headerValue(parseMime(m.raw), "X-Sluice-Entry-Id"));
    console.log(k, "aborted", first.aborted, "run1 delivered", ids1.length, "recorded", recorded, "committed", committed.length, "run2 ok", second.ok, "total", ids.length, "unique", new Set(ids).size, "304s", farm.counters.notModified);
    await farm.close();
    await rm(dir, { recursive: true, force: true });
  }
});
