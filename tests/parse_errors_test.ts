/**
 * Documents that are not feeds throw FeedParseError (E_FEED_PARSE) naming the URL and the reason; they
 * never come back as an empty feed.
 */
import { describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { FeedParseError, parseFeed } from "../lib/feed/mod.ts";
import { SluiceError } from "../engine/errors.ts";

const FEED_URL = "https://feeds.example.net/feed.xml";

function fixture(name: string): Uint8Array {
  return readFileSync(new URL(`./fixtures/feeds/${name}`, import.meta.url));
}

/** Parses and returns the FeedParseError it must throw. */
function failure(bytes: Uint8Array | string, url = FEED_URL): FeedParseError {
  const body = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
  try {
    const feed = parseFeed(body, { url });
    assert.fail(`expected a FeedParseError, got ${JSON.stringify(feed)}`);
  } catch (error) {
    assert.ok(error instanceof FeedParseError, `not a FeedParseError: ${error}`);
    return error;
  }
}

describe("not a feed", () => {
  test("an HTML page", () => {
    const error = failure(fixture("html_page.html"));
    assert.ok(error instanceof SluiceError);
    assert.equal(error.code, "E_FEED_PARSE");
    assert.equal(error.reason, "not a feed: got an HTML page");
    assert.equal(error.message, `cannot parse feed ${FEED_URL}: not a feed: got an HTML page`);
    assert.match(error.hint ?? "", /link rel="alternate"/);
  });

  test("an XHTML page that is well-formed XML", () => {
    const xhtml = '<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><body/></html>';
    assert.equal(failure(xhtml).reason, "not a feed: got an HTML page");
  });

  test("an empty or blank body", () => {
    assert.equal(failure(fixture("empty.xml")).reason, "not a feed: the document is empty");
    assert.equal(failure(" \n\t").reason, "not a feed: the document is empty");
  });

  test("XML of another kind (a sitemap)", () => {
    assert.equal(
      failure(fixture("sitemap.xml")).reason,
      "not a feed: the root element is <urlset>, not <rss>, <rdf:RDF> or <feed>",
    );
  });

  test("JSON that is not a JSON Feed", () => {
    assert.match(
      failure(fixture("not_json_feed.json")).reason,
      /^not a feed: JSON without a JSON Feed version/,
    );
    assert.match(failure("[1, 2]").reason, /^not a feed: JSON without a JSON Feed version/);
  });

  test("plain text, quoted in the reason", () => {
    assert.equal(
      failure(fixture("plain_text.txt")).reason,
      'not a feed: the document is neither XML nor JSON (it starts with "HTTP/1.1 502 Bad Gateway: upstream timed")',
    );
  });
});

describe("malformed JSON", () => {
  test("malformed and truncated JSON", () => {
    assert.match(failure(fixture("truncated.json")).reason, /^malformed JSON: /);
    assert.match(failure('{"version": }').reason, /^malformed JSON: /);
  });
});

describe("the URL in the error", () => {
  test("credentials in the feed URL are redacted", () => {
    const error = failure("", "https://bob:secret@private.example/feed");
    assert.equal(error.url, "https://***:***@private.example/feed");
    assert.doesNotMatch(error.message, /secret/);
  });
});
