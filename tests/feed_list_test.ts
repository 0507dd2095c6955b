import assert from "node:assert/strict";
import { describe, test } from "./support/testing.ts";
import { FeedListError, parseFeedList } from "../lib/feed/mod.ts";

describe("feed lists: OPML read with the feed parser's XML parser", () => {
  test("nested outlines make the folder path; titles are decoded; attribute case does not matter", () => {
    const opml = `<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0"><head><title>Mine</title></head><body>
  <outline text="Tech">
    <outline title="Blogs &amp; &lt;Friends&gt;">
      <outline type="rss" text="A" xmlUrl="https://a.example/feed.xml"/>
    </outline>
    <outline type="rss" title="B" xmlurl="https://b.example/rss"></outline>
  </outline>
  <!-- <outline xmlUrl="https://commented.example/feed"/> -->
  <outline type="rss" text="Top" xmlUrl="https://top.example/feed?a=1&amp;b=2"/>
</body></opml>`;
    assert.deepEqual(parseFeedList(opml, "feeds.opml"), [
      { url: "https://a.example/feed.xml", folder: "Tech/Blogs & <Friends>", title: "A" },
      { url: "https://b.example/rss", folder: "Tech", title: "B" },
      { url: "https://top.example/feed?a=1&b=2", folder: "Top", autoFolder: false, title: "Top" },
    ]);
  });

  test("malformed OPML is named with its line and column", () => {
    assert.throws(
      () => parseFeedList('<opml><body>\n  <outline xmlUrl="https://a.example/f">\n</opml>', "feeds.opml"),
      (e) => e instanceof FeedListError && /^feeds\.opml:3:\d+: malformed OPML/.test(e.message),
    );
  });

  test("XML that is neither OPML nor a feed is refused", () => {
    assert.throws(
      () => parseFeedList("<html><body/></html>", "list.xml"),
      (e) => e instanceof FeedListError && /XML but neither OPML nor a feed/.test(e.message),
    );
  });

  test("a feed file given as the list is refused, saying what FEEDS expects", () => {
    assert.throws(
      () => parseFeedList("<rss><channel/></rss>", "list.xml"),
      (e) => e instanceof FeedListError && /is a feed itself/.test(e.message),
    );
  });
});
