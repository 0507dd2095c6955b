/**
 * parseFeed: every format with every field, URL resolution (xml:base, feed URL), id fallbacks, a big
 * feed, and the pool task on the real worker pool.
 */
import { describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parseFeed, parseFeedTask } from "../lib/feed/mod.ts";
import { WorkerPool } from "../engine/kernel/mod.ts";
import type { FeedEntry, ParsedFeed } from "../lib/feed/mod.ts";
import { detachedStrings } from "../lib/feed/detached_strings.ts";

const FEED_URL = "https://feeds.example.net/path/feed.xml";

function fixture(name: string): Uint8Array {
  return readFileSync(new URL(`./fixtures/feeds/${name}`, import.meta.url));
}

function parseFixture(name: string, contentType?: string): ParsedFeed {
  return parseFeed(fixture(name), { url: FEED_URL, contentType });
}

const encode = (text: string) => new TextEncoder().encode(text);

describe("RSS 2.0", () => {
  const feed = parseFixture("rss2_full.xml");

  test("reads the channel and every item field", () => {
    assert.equal(feed.format, "rss2.0");
    assert.equal(feed.title, "Example Blog");
    assert.equal(feed.link, "https://blog.example.org/");
    assert.equal(feed.entries.length, 4);
    assert.deepEqual(feed.entries[0], {
      id: "https://blog.example.org/?p=101",
      title: "Hello & welcome",
      link: "https://feeds.example.net/2024/05/hello/",
      published: "2024-05-06T08:30:00.000Z",
      author: "Ann Author",
      categories: ["news"],
      html: '<p>The <b>long</b> version with <img src="/img/a.png" alt="a"></p>',
      summary: "<p>The short version.</p>",
      enclosures: [{
        url: "https://feeds.example.net/media/episode1.mp3",
        type: "audio/mpeg",
        length: 123456,
      }],
    });
  });

  test("decodes an entity-escaped description to HTML and takes the name out of <author>", () => {
    assert.equal(feed.entries[1].summary, "<p>Escaped &amp; HTML</p>");
    assert.equal(feed.entries[1].author, "Ann Author");
  });

  test("a permalink guid is the id and the link when <link> is missing", () => {
    assert.equal(feed.entries[1].id, "https://blog.example.org/2024/05/permalink/");
    assert.equal(feed.entries[1].link, "https://blog.example.org/2024/05/permalink/");
  });

  test("a guid with isPermaLink=false is never used as the link", () => {
    const xml = '<rss version="2.0"><channel><item><guid isPermaLink="false">https://x.example/p/1</guid>' +
      "<title>t</title></item></channel></rss>";
    const [entry] = parseFeed(encode(xml), { url: FEED_URL }).entries;
    assert.equal(entry.id, "https://x.example/p/1");
    assert.equal(entry.link, undefined);
  });
});

describe("id fallbacks", () => {
  const entries = parseFixture("rss2_full.xml").entries;

  test("guid first, then link, then a hash", () => {
    assert.equal(entries[0].id, "https://blog.example.org/?p=101");
    assert.equal(entries[2].id, "https://blog.example.org/2024/05/link-only/");
    assert.match(entries[3].id, /^sha1:[0-9a-f]{40}$/);
  });

  test("the hash is stable across calls and changes with the content", () => {
    const again = parseFixture("rss2_full.xml").entries[3].id;
    assert.equal(again, entries[3].id);
    const item = (description: string) =>
      `<rss version="2.0"><channel><item><title>Same</title><description>${description}</description></item></channel></rss>`;
    const a1 = parseFeed(encode(item("a")), { url: FEED_URL }).entries[0].id;
    const a2 = parseFeed(encode(item("a")), { url: "https://other.example/feed" }).entries[0].id;
    const b = parseFeed(encode(item("b")), { url: FEED_URL }).entries[0].id;
    assert.equal(a1, a2);
    assert.notEqual(a1, b);
  });

  test("a blank guid falls back to the link", () => {
    const xml = '<rss version="2.0"><channel><item><guid>  </guid><link>/p</link></item></channel></rss>';
    assert.equal(parseFeed(encode(xml), { url: FEED_URL }).entries[0].id, "https://feeds.example.net/p");
  });
});

describe("RSS 0.9x and 1.0 (RDF)", () => {
  test("RSS 0.91 with a DOCTYPE: relative links resolve against the feed URL", () => {
    const feed = parseFixture("rss091.xml");
    assert.equal(feed.format, "rss0.9x");
    assert.equal(feed.title, "Old School");
    assert.deepEqual(feed.entries.map((e) => e.link), [
      "http://old.example.com/1.html",
      "https://feeds.example.net/path/2.html",
    ]);
    assert.equal(feed.entries[0].summary, "It works.");
  });

  test("RSS 0.92: an item without title or link gets a hash id; a bad enclosure length is dropped", () => {
    const feed = parseFixture("rss092.xml");
    assert.equal(feed.format, "rss0.9x");
    assert.match(feed.entries[0].id, /^sha1:/);
    assert.deepEqual(feed.entries[0].enclosures, [{
      url: "http://pod.example.com/ep1.mp3",
      type: "audio/mpeg",
    }]);
  });

  test("RSS 0.90 (Netscape RDF namespace) is rss0.9x with items beside the channel", () => {
    const feed = parseFixture("rss090.rdf");
    assert.equal(feed.format, "rss0.9x");
    assert.equal(feed.title, "Mozilla Dot Org");
    assert.deepEqual(feed.entries.map((e) => e.title), ["New Status Updates", "Bugzilla Reorganized"]);
  });

  test("RSS 1.0: rdf:about id, dc:creator list, dc:date full and partial, content:encoded", () => {
    const feed = parseFixture("rss1_rdf.xml");
    assert.equal(feed.format, "rss1.0");
    assert.equal(feed.link, "https://science.example.net/");
    assert.deepEqual(feed.entries[0], {
      id: "https://science.example.net/a/1",
      title: "On Feeds",
      link: "https://science.example.net/a/1",
      published: "2024-05-06T08:15:00.000Z",
      author: "Dr. One, Dr. Two",
      html: "<p>Full text.</p>",
      summary: "A study of feeds.",
      enclosures: [],
    });
    assert.equal(feed.entries[1].published, "2024-05-01T00:00:00.000Z");
  });
});

describe("Atom 1.0", () => {
  const feed = parseFixture("atom10_full.xml");
  const [first, second, third] = feed.entries;

  test("feed title, alternate link resolved against the feed's xml:base", () => {
    assert.equal(feed.format, "atom1.0");
    assert.equal(feed.title, "Atom & Eve");
    assert.equal(feed.link, "https://atom.example.com/blog/");
  });

  test("every entry field; xhtml content is the inner div serialised as HTML", () => {
    assert.deepEqual(first, {
      id: "tag:atom.example.com,2024:1",
      title: "XHTML & friends",
      link: "https://atom.example.com/blog/posts/2024/xhtml-post.html",
      // The content's xml:base, not the link, is where its relative "pic.png" lives.
      base: "https://cdn.example.com/",
      published: "2024-05-06T08:00:00.000Z",
      updated: "2024-05-06T11:00:00.000Z",
      author: "Eve, Adam",
      html:
        '<p class="lead">Hi &amp; <a href="x.html">link</a><br><img src="pic.png" alt="a &quot;pic&quot;"></p>',
      summary: "<p>Summary <b>html</b></p>",
      enclosures: [{ url: "https://atom.example.com/blog/media/talk.ogg", type: "audio/ogg", length: 4242 }],
    });
  });

  test("entry xml:base stacks on the feed's; a root-relative href ignores the path", () => {
    assert.equal(first.link, "https://atom.example.com/blog/posts/2024/xhtml-post.html");
    assert.equal(second.link, "https://atom.example.com/absolute-path");
  });

  test("text constructs: text is escaped to HTML, html is unescaped, CDATA is kept", () => {
    assert.equal(second.title, "Plain text <title>");
    assert.equal(second.summary, "a &lt; b &amp; c");
    assert.equal(second.html, "<p>CDATA <i>html</i></p>");
    assert.equal(third.html, "line one\nline two &amp; more");
  });

  test("an entry without id takes its link as id and inherits the feed author", () => {
    assert.equal(third.id, "https://atom.example.com/blog/no-id.html");
    assert.equal(third.author, "Feed Author");
    assert.equal(third.updated, "2024-05-04T00:00:00.000Z");
  });

  test("xml:base on a link element applies to that link", () => {
    const xml = '<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>1</id>' +
      '<link xml:base="https://mirror.example/a/" href="b.html"/></entry></feed>';
    assert.equal(
      parseFeed(encode(xml), { url: FEED_URL }).entries[0].link,
      "https://mirror.example/a/b.html",
    );
  });

  test("a prefixed atom:feed with an xhtml:div is read the same", () => {
    const xml = '<a:feed xmlns:a="http://www.w3.org/2005/Atom" xmlns:h="http://www.w3.org/1999/xhtml">' +
      '<a:entry><a:id>1</a:id><a:content type="xhtml"><h:div><h:p>x</h:p></h:div></a:content></a:entry></a:feed>';
    const parsed = parseFeed(encode(xml), { url: FEED_URL });
    assert.equal(parsed.format, "atom1.0");
    assert.equal(parsed.entries[0].html, "<p>x</p>");
  });
});

describe("Atom 0.3", () => {
  const feed = parseFixture("atom03.xml");

  test("issued/modified dates, escaped, base64 and inline XML content", () => {
    assert.equal(feed.format, "atom0.3");
    assert.equal(feed.title, "Dive into mark");
    assert.deepEqual(feed.entries[0], {
      id: "tag:diveintomark.example,2004:3.2397",
      title: "Escaped content",
      link: "http://diveintomark.example/2004/05/06/escaped",
      published: "2004-05-06T12:00:00.000Z",
      updated: "2004-05-06T13:00:00.000Z",
      author: "Mark",
      html: "<p>Escaped <em>HTML</em></p>",
      summary: "Short &amp; plain",
      enclosures: [],
    });
    assert.equal(feed.entries[1].html, "<p>Base 64 — decoded</p>");
    assert.equal(feed.entries[2].html, "<p>Inline <b>XHTML</b></p>");
  });
});

describe("JSON Feed", () => {
  test("1.1: every item field, relative url and attachment resolved against the feed URL", () => {
    const feed = parseFixture("json11.json");
    assert.equal(feed.format, "json1.1");
    assert.equal(feed.title, "JSON Eleven");
    assert.equal(feed.link, "https://json.example.org/");
    assert.deepEqual(feed.entries[0], {
      id: "1",
      title: "First",
      link: "https://feeds.example.net/posts/1",
      published: "2024-05-06T08:00:00.000Z",
      updated: "2024-05-07T09:00:00.000Z",
      author: "Jay, Son",
      html: "<p>Hello <b>JSON</b></p>",
      summary: "Hello JSON",
      enclosures: [{ url: "https://feeds.example.net/audio/1.m4a", type: "audio/x-m4a", length: 89970236 }],
    });
  });

  test("1.1: numeric id, external_url, escaped content_text, feed author, bad date, id fallbacks", () => {
    const [, second, third, fourth] = parseFixture("json11.json").entries;
    assert.deepEqual(second, {
      id: "2",
      link: "https://elsewhere.example/2",
      author: "Feed Person",
      summary: "Text only &amp; &lt;raw&gt;",
      enclosures: [],
    });
    assert.equal(third.id, "https://json.example.org/posts/3");
    assert.match(fourth.id, /^sha1:[0-9a-f]{40}$/);
    assert.equal(parseFixture("json11.json").entries.length, 4, "a non-object item is skipped");
  });

  test("1.0: the singular author, on the item or inherited from the feed", () => {
    const feed = parseFixture("json10.json");
    assert.equal(feed.format, "json1.0");
    assert.equal(feed.entries[0].author, "Item Author");
    assert.equal(feed.entries[0].published, "2017-05-17T15:02:12.000Z");
    assert.equal(feed.entries[1].author, "Old Author");
  });

  test("the format comes from the content even with a misleading Content-Type", () => {
    assert.equal(parseFixture("json10.json", "text/html; charset=utf-8").format, "json1.0");
    assert.equal(parseFixture("atom03.xml", "application/json").format, "atom0.3");
  });
});

describe("sloppy but readable feeds", () => {
  test("lone &, HTML entities, windows-1252 references, a stray <, undeclared dc:, odd case, raw markup", () => {
    const feed = parseFixture("rss_sloppy.xml");
    assert.equal(feed.title, "Tom & Jerry Weekly", "&nbsp; decoded, then folded like any whitespace");
    assert.equal(feed.link, "https://sloppy.example/");
    assert.deepEqual(feed.entries[0], {
      id: "https://sloppy.example/qa",
      title: "Q&A: 1 < 2 “quoted” été &bogus; AT&T",
      link: "https://sloppy.example/qa",
      published: "2003-06-10T11:00:00.000Z",
      author: "Undeclared Prefix",
      summary: "<p>Raw <b>markup</b> inside</p>",
      enclosures: [],
    });
  });

  test("a feed with no items is an empty feed, not an error", () => {
    const feed = parseFixture("empty_channel.xml");
    assert.deepEqual(feed, { format: "rss2.0", title: "Quiet", link: "https://quiet.example/", entries: [] });
  });
});

function bigRss(count: number): string {
  const items: string[] = [];
  for (let i = 0; i < count; i++) {
    items.push(
      `<item><title>Item ${i}</title><link>/p/${i}</link><guid isPermaLink="false">id-${i}</guid>` +
        `<pubDate>Mon, 06 May 2024 10:${String(i % 60).padStart(2, "0")}:00 +0000</pubDate>` +
        `<content:encoded><![CDATA[<p>${
          "Lorem ipsum dolor sit amet. ".repeat(20)
        }</p>]]></content:encoded></item>`,
    );
  }
  return '<?xml version="1.0"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">' +
    `<channel><title>Big</title>${items.join("\n")}</channel></rss>`;
}

describe("size", () => {
  test("a feed of 1,000 entries parses completely and in order", () => {
    const feed = parseFeed(encode(bigRss(1000)), { url: FEED_URL });
    assert.equal(feed.entries.length, 1000);
    assert.equal(new Set(feed.entries.map((e) => e.id)).size, 1000);
    const last: FeedEntry = feed.entries[999];
    assert.equal(last.id, "id-999");
    assert.equal(last.link, "https://feeds.example.net/p/999");
    assert.equal(last.published, "2024-05-06T10:39:00.000Z");
  });
});

describe("pool task", () => {
  test("parseFeedTask takes plain arguments", () => {
    const feed = parseFeedTask(
      fixture("iso8859_2_header_only.xml"),
      FEED_URL,
      "text/xml; charset=iso-8859-2",
    );
    assert.equal(feed.title, "Łódź i Kraków");
  });

  test("runs on the real worker pool; a FeedParseError comes back with its code and message", async () => {
    const pool = new WorkerPool({ size: 1 });
    const ref = {
      module: new URL("../lib/feed/parse_feed.ts", import.meta.url).href,
      export: "parseFeedTask",
    };
    try {
      // A copy: readFileSync may hand out a slice of a shared pool buffer, which must not be transferred.
      const bytes = new Uint8Array(fixture("gb2312_declared.xml"));
      const feed = await pool.run<ParsedFeed>(ref, [bytes, FEED_URL, undefined], {
        transfer: [bytes.buffer],
      });
      assert.equal(bytes.byteLength, 0, "the body was transferred, not copied");
      assert.equal(feed.title, "中文新闻");
      assert.equal(feed.entries[0].title, "欢迎来到北京");
      await assert.rejects(
        pool.run(ref, [fixture("html_page.html"), FEED_URL]),
        (error: Error & { code?: string }) => {
          assert.equal(error.code, "E_FEED_PARSE");
          assert.equal(error.message, `cannot parse feed ${FEED_URL}: not a feed: got an HTML page`);
          return true;
        },
      );
    } finally {
      await pool.close();
    }
  });
});

describe("categories", () => {
  test("Atom <category>: the label, else the term; JSON Feed: tags; none: no key", () => {
    const atom = parseFeed(
      encode(`<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><entry><id>urn:1</id><title>A</title>
        <category term="rust"/><category term="x" label="Ex"/><category/></entry>
        <entry><id>urn:2</id><title>B</title></entry></feed>`),
      { url: FEED_URL },
    );
    assert.deepEqual(atom.entries[0].categories, ["rust", "Ex"]);
    assert.equal("categories" in atom.entries[1], false);
    const json = parseFeed(
      encode(JSON.stringify({
        version: "https://jsonfeed.org/version/1.1",
        title: "T",
        items: [{ id: "1", content_text: "x", tags: ["a", 3, "b"] }],
      })),
      { url: FEED_URL },
    );
    assert.deepEqual(json.entries[0].categories, ["a", "b"]);
  });
});

describe("detachedStrings", () => {
  test("copies every short field of the feed and its entries with the same text, html left as it is", () => {
    const html = "<p>a paragraph long enough to be sliced</p>";
    const feed: ParsedFeed = {
      format: "rss2.0",
      title: "A feed title long enough",
      link: "https://blog.example.org/",
      entries: [{
        id: "https://blog.example.org/p/1",
        title: "Short",
        author: "An author with a long name",
        categories: ["a category long enough", "b"],
        enclosures: [{ url: "https://blog.example.org/a.mp3", type: "audio/mpeg" }],
        images: ["https://blog.example.org/i.png"],
        html,
      }],
    };
    const copy = structuredClone(feed);
    assert.equal(detachedStrings(feed), feed);
    assert.deepEqual(feed, copy);
    assert.equal(feed.entries[0].html, html);
  });
});
