/**
 * A long feed list is read in slices: `parseFeedListSliced` asks `pause()` before each line and waits when
 * it says so, with the same feeds and errors as `parseFeedList`; `loadFeeds` passes its pause through.
 */
import { describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { FeedListError, parseFeedList, parseFeedListSliced } from "../lib/feed/feed_list.ts";
import { loadFeeds } from "../lib/feed/load_feed_list.ts";

/** A plain list of `n` feeds with a comment, a folder-options line, named folders and per-feed options. */
function longList(n: number): string {
  const lines = ["# my feeds", '[News] filter="true"', ""];
  for (let i = 0; i < n; i++) {
    const url = `https://feeds${i % 7}.example/f${i}.xml${i % 11 === 0 ? "?page=2" : ""}`;
    lines.push(i % 3 === 0 ? `${url} News` : i % 5 === 0 ? `${url} Blogs on-update=replace` : url);
  }
  lines.push(lines[5]); // a duplicate, dropped by both
  return lines.join("\n") + "\n";
}

/** A pause that waits (a resolved promise) every `every`-th call, and counts calls and waits. */
function countingPause(every: number) {
  const seen = { calls: 0, waits: 0 };
  const pause = () => {
    if (++seen.calls % every !== 0) return undefined;
    seen.waits++;
    return Promise.resolve();
  };
  return { seen, pause };
}

describe("parseFeedListSliced", () => {
  test("pauses before each line and reads the same feeds as parseFeedList", async () => {
    const text = longList(500);
    const { seen, pause } = countingPause(50);
    const feeds = await parseFeedListSliced(text, "feeds.txt", undefined, pause);
    assert.deepEqual(feeds, parseFeedList(text, "feeds.txt"));
    assert.equal(feeds.length, 500);
    assert.equal(seen.calls, text.split("\n").length, "asked before every line");
    assert.equal(seen.waits, Math.floor(seen.calls / 50), "and waited whenever told to");
    assert.deepEqual(feeds.find((f) => f.folder === "News")?.options, { filter: "true" });
  });

  test("a bad line fails with the same error, naming the line", async () => {
    const text = "https://a.example/feed.xml\n\nftp://b.example/feed.xml\n";
    await assert.rejects(parseFeedListSliced(text, "feeds.txt", undefined, () => undefined), (e: unknown) => {
      assert.ok(e instanceof FeedListError);
      assert.match(e.message, /feeds\.txt:3: `ftp:\/\/b\.example\/feed\.xml` is not an http\(s\) URL/);
      return true;
    });
  });

  test("an OPML list is read in one piece", async () => {
    const opml = '<opml version="2.0"><body><outline text="N">' +
      '<outline type="rss" xmlUrl="https://a.example/feed.xml"/></outline></body></opml>';
    const { seen, pause } = countingPause(1);
    assert.deepEqual(
      await parseFeedListSliced(opml, "feeds.opml", undefined, pause),
      parseFeedList(opml, "feeds.opml"),
    );
    assert.equal(seen.calls, 0);
  });
});

describe("loadFeeds", () => {
  test("reads a list file in slices with the pause it is given", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "sluice-feed-list-"));
    try {
      const text = longList(300);
      await writeFile(path.join(dir, "feeds.txt"), text);
      const { seen, pause } = countingPause(25);
      const feeds = await loadFeeds({ list: "feeds.txt", baseDir: dir }, undefined, pause);
      assert.deepEqual(feeds, parseFeedList(text, "feeds.txt"));
      assert.equal(seen.calls, text.split("\n").length);
      assert.ok(seen.waits > 0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
