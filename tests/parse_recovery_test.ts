/**
 * Damaged documents are recovered, not thrown away: the entries read around the damage come back, and
 * the feed says "recovered, with problems" with the first problem's line and column. Junk before and
 * after the root, a standalone Atom entry, DTD entities (bounded, never external). An HTML page is still
 * "not a feed".
 */
import { describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { FeedParseError, type ParsedFeed, parseFeed, recoveredText } from "../lib/feed/mod.ts";
import { parseFeeds } from "../stages/parse.ts";
import type { FetchedFeed, ParsedFeedItem } from "../stages/types.ts";
import { fromIterable, pipeline, runPipeline, sink } from "../engine/pipeline/mod.ts";
import { summaryText } from "../cli/summary.ts";

const FEED_URL = "https://feeds.example.net/feed.xml";

function fixture(name: string): Uint8Array {
  return readFileSync(new URL(`./fixtures/feeds/${name}`, import.meta.url));
}

function parse(source: string | Uint8Array): ParsedFeed {
  const bytes = typeof source === "string" ? new TextEncoder().encode(source) : source;
  return parseFeed(bytes, { url: FEED_URL });
}

const ids = (feed: ParsedFeed) => feed.entries.map((e) => e.id);
const titles = (feed: ParsedFeed) => feed.entries.map((e) => e.title);

describe("damaged documents give the entries around the damage", () => {
  test("truncated: the entries before the cut, not the half entry, and where the cut is", () => {
    const feed = parse(fixture("truncated.xml"));
    assert.deepEqual(titles(feed), ["Complete item"]);
    assert.deepEqual(feed.recovered, {
      line: 7,
      column: 1,
      reason:
        "unexpected end of document: <title> opened at line 6 column 7 is not closed (document truncated?)",
      problems: 1,
    });
    assert.equal(
      recoveredText(feed.recovered!),
      "recovered, with problems (1): line 7 column 1: unexpected end of document: <title> opened at line 6 " +
        "column 7 is not closed (document truncated?)",
    );
  });

  test("cut after a complete item, inside a tag, a comment, CDATA or an attribute", () => {
    const head = '<rss version="2.0"><channel><title>T</title><item><guid>a</guid></item>';
    for (const tail of ["", "<ite", "</chan", "<!-- never ends", "<item><title><![CDATA[abc", '<item a="1']) {
      const feed = parse(head + tail);
      assert.deepEqual(ids(feed), ["a"], tail);
      assert.ok(feed.recovered, tail);
    }
  });

  test("mismatched closing tag: the entry is kept, the first problem named", () => {
    const feed = parse(fixture("mismatched.xml"));
    assert.deepEqual(titles(feed), ["One"]);
    assert.equal(feed.recovered?.line, 4);
    assert.equal(feed.recovered?.column, 19);
    assert.equal(
      feed.recovered?.reason,
      "closing tag </titel> does not match <title> opened at line 4 column 9",
    );
  });

  test("unclosed elements: entries before and after the damage", () => {
    const feed = parse(fixture("unclosed_element.xml"));
    assert.deepEqual(ids(feed), ["1", "2", "3"]);
    assert.equal(feed.entries[0].summary, "an <b>unclosed bold</b>");
    assert.deepEqual([feed.recovered?.line, feed.recovered?.column], [5, 74]);
  });

  test("a start tag broken by '<' (`<item <title>`) keeps the item", () => {
    const feed = parse(fixture("broken_attribute.xml"));
    assert.deepEqual(titles(feed), ["A", "B"]);
    assert.deepEqual([feed.recovered?.line, feed.recovered?.column], [3, 7]);
  });

  test("a bare '&' and an undefined entity are kept as written and reported", () => {
    const feed = parse(fixture("bare_ampersand.xml"));
    assert.equal(feed.title, "Tom & Jerry");
    assert.deepEqual(titles(feed), ["Fish &chips; and AT&T", "Clean & tidy"]);
    assert.deepEqual(feed.recovered, {
      line: 4,
      column: 12,
      reason: "a bare '&' (write &amp;)",
      problems: 3,
    });
  });

  test("stray control bytes and stray closing tags", () => {
    const feed = parse(fixture("stray_bytes.xml"));
    assert.deepEqual(titles(feed), ["Bell and form feed here", "After a stray tag", "Last"]);
    assert.equal(feed.recovered?.line, 6);
  });

  test("unquoted and valueless attributes are read as HTML reads them", () => {
    const feed = parse("<rss version=2.0><channel><item><guid isPermaLink>x</guid></item></channel></rss>");
    assert.equal(feed.format, "rss2.0");
    assert.deepEqual(ids(feed), ["x"]);
    assert.equal(feed.recovered?.reason, "attribute version of <rss> is not quoted");
  });

  test("a well-formed document is not marked recovered", () => {
    assert.equal(parse(fixture("rss2_full.xml")).recovered, undefined);
  });
});

describe("content around the root element", () => {
  test("an HTML doctype before an Atom feed", () => {
    const feed = parse(fixture("doctype_html_before_atom.xml"));
    assert.equal(feed.format, "atom1.0");
    assert.deepEqual(titles(feed), ["One"]);
    assert.equal(feed.recovered, undefined);
  });

  test("a host's <script> after </rss> is ignored", () => {
    const feed = parse(fixture("junk_after_root.xml"));
    assert.deepEqual(titles(feed), ["Only item"]);
    assert.equal(feed.recovered, undefined);
  });

  test("a BOM and blank lines before <?xml", () => {
    assert.deepEqual(titles(parse(fixture("blank_before_declaration.xml"))), ["Fine"]);
  });

  test("an HTML page still fails as not a feed, damaged or not", () => {
    for (const page of [fixture("html_page.html"), "<!DOCTYPE html>\n<div><p>unclosed<br></div>"]) {
      assert.throws(
        () => parse(page),
        (e) => e instanceof FeedParseError && e.reason === "not a feed: got an HTML page",
      );
    }
  });
});

describe("a standalone Atom entry", () => {
  test("is a feed of one entry, its xml:base applied", () => {
    const feed = parse(fixture("atom_entry_root.xml"));
    assert.equal(feed.format, "atom1.0");
    assert.equal(feed.entries.length, 1);
    assert.deepEqual(feed.entries[0], {
      id: "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a",
      title: "A lone entry",
      link: "https://entry.example/posts/lone.html",
      base: "https://entry.example/posts/",
      updated: "2003-12-13T18:30:02.000Z",
      author: "Solo Writer",
      html: "<p>Just me.</p>",
      enclosures: [],
    });
  });
});

describe("DTD entities", () => {
  test("internal declarations are expanded, nested ones too; parameter entities are not used", () => {
    const feed = parse(fixture("dtd_entities.xml"));
    assert.equal(feed.title, "Entity & Co");
    assert.deepEqual(titles(feed), ['Hello from Entity & Co — single "quoted" value']);
    assert.equal(feed.recovered, undefined);
  });

  test("billion laughs: expansion stops at the budget, the other entries stay", () => {
    const feed = parse(fixture("billion_laughs.xml"));
    assert.deepEqual(titles(feed), ["&lol9;", "Still here"]);
    assert.match(feed.recovered?.reason ?? "", /entity expansion limit/);
  });

  test("external entities are never read (no XXE)", () => {
    const feed = parse(fixture("external_entity.xml"));
    assert.deepEqual(titles(feed), ["Secret: &secret; remote: &remote;"]);
    assert.equal(feed.recovered?.reason, "undefined entity &secret;");
  });
});

describe("the parse stage", () => {
  test("a recovered feed is a warning with the first problem's position, not a failure", async () => {
    const fetched = (url: string, body: Uint8Array): FetchedFeed => ({
      feed: { url, folder: "News" },
      status: 200,
      notModified: false,
      body,
      finalUrl: url,
    });
    const warnings: string[] = [];
    const out: ParsedFeedItem[] = [];
    const p = pipeline(fromIterable([
      fetched("https://user:pw@damaged.example/feed", fixture("truncated.xml")),
      fetched("https://fine.example/feed", fixture("rss2_full.xml")),
    ])).pipe(parseFeeds({ state: "./.sluice-never-written" })).to(sink((item: ParsedFeedItem) => {
      out.push(item);
    }));
    const summary = await runPipeline(p, {
      logger: {
        log: (level, message, fields) => {
          if (level === "warn") warnings.push(`${fields?.item}: ${message}`);
        },
      },
      measureLag: false,
      placementOverride: "loop",
    });
    assert.ok(summary.ok);
    assert.equal(summary.failures.length, 0);
    assert.equal(out.length, 2);
    assert.deepEqual(warnings, [
      "https://***:***@damaged.example/feed: recovered, with problems (1): line 7 column 1: unexpected end of " +
      "document: <title> opened at line 6 column 7 is not closed (document truncated?)",
    ]);
    const parse = summary.metrics.stages.find((s) => s.name === "parse")!;
    assert.equal(parse.counters.recovered, 1);
    assert.match(summaryText(summary), /parse .*recovered 1/);
  });
});
