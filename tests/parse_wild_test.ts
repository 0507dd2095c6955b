/**
 * What the web serves, read in full: wide encodings, the charset precedence of RFC 7303, Atom content
 * constructs (base64, escaped, xhtml), xhtml:body and other content:encoded variants, authors in their
 * many forms, media images, xml:base at every level, and dates as the wild writes them.
 */
import { describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { type ParsedFeed, parseFeed } from "../lib/feed/mod.ts";
import { decodeFeed } from "../lib/feed/charset.ts";
import { htmlToLine } from "../lib/feed/plain_text.ts";

const FEED_URL = "https://feed.example/dir/feed.xml";

function fixture(name: string): Uint8Array {
  return readFileSync(new URL(`./fixtures/feeds/${name}`, import.meta.url));
}

function parse(name: string, contentType?: string): ParsedFeed {
  return parseFeed(fixture(name), { url: FEED_URL, contentType });
}

describe("encodings", () => {
  test("UTF-32 in both byte orders, with and without a BOM", () => {
    for (
      const [name, order] of [
        ["utf32le_bom.xml", "LE"],
        ["utf32be_bom.xml", "BE"],
        ["utf32le_no_bom.xml", "LE"],
        ["utf32be_no_bom.xml", "BE"],
      ]
    ) {
      const feed = parse(name);
      assert.equal(feed.title, `Wide “UTF-32${order}”`, name);
      assert.equal(feed.entries[0].title, "Ünïcödé ✓ 𝄞", name);
    }
  });

  test("UTF-16BE without a BOM, and a header naming an ASCII charset yields to wide bytes", () => {
    assert.equal(parse("utf16be_no_bom.xml").entries[0].title, "Ünïcödé ✓ 𝄞");
    assert.equal(parse("utf16be_no_bom.xml", "text/xml; charset=utf-8").entries[0].title, "Ünïcödé ✓ 𝄞");
    assert.equal(
      decodeFeed(fixture("utf32le_no_bom.xml"), "text/xml; charset=iso-8859-1").charset,
      "utf-32le",
    );
  });

  test("RFC 7303 precedence: BOM, then the HTTP charset, then the XML declaration", () => {
    assert.equal(decodeFeed(fixture("utf32be_bom.xml"), "text/xml; charset=utf-16").source, "bom");
    const latin1 = new Uint8Array([
      ...new TextEncoder().encode('<?xml version="1.0" encoding="utf-8"?><a>'),
      0xe9,
    ]);
    assert.deepEqual(
      [decodeFeed(latin1, "text/xml; charset=iso-8859-1").source, decodeFeed(latin1).source],
      ["header", "fallback"],
    );
  });

  test("a declared ISO-8859-1 that is really windows-1252", () => {
    const feed = parse("iso8859_1_really_1252.xml");
    assert.equal(feed.title, "Café “quoted” – 5 €");
    assert.equal(feed.entries[0].title, "It’s naïve…");
  });
});

describe("Atom content constructs", () => {
  test("text types are never base64; binary types are, images shown as data: URLs", () => {
    const feed = parse("atom_content_constructs.xml");
    const html = feed.entries.map((e) => e.html);
    assert.equal(html[0], "<p>text/html is a text type, never base64</p>");
    assert.equal(html[1], '<img src="data:image/png;base64,iVBORw0KGgo=">');
    assert.equal(html[2], undefined);
    assert.equal(feed.entries[2].summary, "fallback summary");
    assert.equal(html[4], "1 &lt; 2 &amp; so on");
    assert.equal(feed.entries[4].title, "Plain <text>");
  });

  test("xhtml: the wrapping div dropped, xml:base inside the content resolves what it covers", () => {
    const entry = parse("atom_content_constructs.xml").entries[3];
    assert.equal(entry.title, "XHTML title");
    assert.equal(entry.base, "https://cdn.example/c4/");
    assert.equal(
      entry.html,
      '<p>See <a href="a.html">a</a></p><p><img src="https://cdn.example/img/p.png"></p>',
    );
  });

  test("Atom 0.3 mode=base64, mode=escaped and inline XML", () => {
    assert.deepEqual(parse("atom03_modes.xml").entries.map((e) => e.html), [
      "<p>Base <b>64</b></p>",
      "<p>Escaped <i>HTML</i></p>",
      "<p>Inline</p>",
    ]);
  });

  test("markup stripping survives '>' inside attribute values", () => {
    assert.equal(parse("atom_content_constructs.xml").title, "Markup with & more");
    assert.equal(htmlToLine("<a title=\"1 > 0\" href='x>y'>link</a><p>para</p>end"), "link para end");
  });
});

describe("RSS content and authors", () => {
  test("content:encoded under any prefix, xhtml:body, atom:content, an undeclared content: prefix", () => {
    assert.deepEqual(parse("rss_content_variants.xml").entries.map((e) => e.html), [
      "<p>Full <em>one</em></p>",
      '<p>Body <a href="/x">two</a></p>',
      "<p>Atom three</p>",
      "<p>Four</p>",
    ]);
  });

  test("author, dc:creator, dc:author, itunes:author, atom:author; names out of mail forms", () => {
    assert.deepEqual(parse("rss_authors.xml").entries.map((e) => e.author), [
      "Ann Author",
      "Bob Builder",
      "Cy Quoted",
      "dee@example.org",
      "Eve One, Fay Two",
      "Gus Dc",
      "Hal Podcaster",
      "Ivy Atom",
    ]);
  });
});

describe("images of the entry", () => {
  test("media:thumbnail, media:content in a group, image enclosures; not video or audio", () => {
    assert.deepEqual(parse("rss_media_images.xml").entries.map((e) => e.images), [
      ["https://feed.example/thumbs/1.jpg"],
      ["https://cdn.example/2.jpg"],
      ["https://cdn.example/3.png"],
      ["https://cdn.example/4.jpg"],
    ]);
  });
});

describe("xml:base at every level", () => {
  test("Atom: feed, entry, link, enclosure and content, the feed URL as the last base", () => {
    const feed = parse("atom_xml_base.xml");
    assert.equal(feed.link, "https://feed.example/root/home.html");
    const [one, two] = feed.entries;
    assert.equal(one.link, "https://feed.example/root/entries/one.html");
    assert.equal(one.enclosures[0].url, "https://feed.example/audio/media/one.mp3");
    assert.equal(one.base, "https://cdn.example/one/");
    assert.equal(two.link, "https://feed.example/root/two.html");
    assert.equal(two.base, "https://feed.example/root/");
  });

  test("RSS: root, channel, item and enclosure", () => {
    const feed = parse("rss_xml_base.xml");
    assert.equal(feed.link, "https://rss-base.example/a/b/home");
    assert.equal(feed.entries[0].link, "https://rss-base.example/a/b/c/post.html");
    assert.equal(feed.entries[0].enclosures[0].url, "https://rss-base.example/a/b/c/ep.mp3");
    assert.equal(feed.entries[1].base, "https://rss-base.example/a/b/");
  });
});

describe("dates in the wild", () => {
  test("RFC 822 variants, W3CDTF, and no date rather than a wrong one", () => {
    const dates = Object.fromEntries(parse("rss_dates.xml").entries.map((e) => [e.id, e.published ?? null]));
    assert.deepEqual(dates, {
      "two-digit-year": "2003-06-10T04:00:00.000Z",
      "no-seconds": "2003-06-10T09:00:00.000Z",
      "numeric-zone": "2003-06-09T22:30:00.000Z",
      "gmt-offset": "2003-06-10T02:00:00.000Z",
      "trailing-junk": "2003-06-10T04:00:00.000Z",
      "words-after": "2003-06-10T04:00:00.000Z",
      pm: "2003-06-10T23:00:00.000Z",
      w3cdtf: "2003-06-10T03:00:00.000Z",
      "iso-basic": "2003-06-10T04:00:00.000Z",
      "year-month": "2003-06-01T00:00:00.000Z",
      "not-a-date": null,
      impossible: null,
    });
  });
});
