/**
 * Character sets: BOM > HTTP charset > XML declaration > UTF-8 (windows-1252 when not UTF-8).
 */
import { describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parseFeed } from "../lib/feed/mod.ts";
import { decodeFeed, headerCharset } from "../lib/feed/charset.ts";

const URL_ = "https://charset.example/feed.xml";

function fixture(name: string): Uint8Array {
  return readFileSync(new URL(`./fixtures/feeds/${name}`, import.meta.url));
}

function titles(name: string, contentType?: string): [string | undefined, string | undefined] {
  const feed = parseFeed(fixture(name), { url: URL_, contentType });
  return [feed.title, feed.entries[0]?.title];
}

describe("charset from the XML declaration", () => {
  test("ISO-8859-1 bytes", () => {
    assert.deepEqual(titles("latin1_declared.xml"), ["Café crème", "Zürich naïve façade"]);
  });

  test("windows-1252 smart quotes, dashes, ellipsis and the euro sign", () => {
    assert.deepEqual(titles("windows1252_declared.xml"), [
      "Smart “quotes” and ‘apostrophes’ — ok…",
      "Price: 5 €",
    ]);
  });

  test("ISO-8859-15 (0xA4 is the euro sign, not ¤)", () => {
    assert.deepEqual(titles("iso8859_15_declared.xml"), ["Prix en €", "Œuvre"]);
  });

  test("GB2312", () => {
    assert.deepEqual(titles("gb2312_declared.xml"), ["中文新闻", "欢迎来到北京"]);
  });

  test("Shift_JIS", () => {
    assert.deepEqual(titles("shift_jis_declared.xml"), ["日本語のフィード", "こんにちは世界"]);
  });
});

describe("charset from the byte order mark", () => {
  test("UTF-16LE and UTF-16BE with a BOM", () => {
    assert.deepEqual(titles("utf16le_bom.xml"), ["UTF-16 “wide”", "Ünïcödé ✓"]);
    assert.deepEqual(titles("utf16be_bom.xml"), ["UTF-16 “wide”", "Ünïcödé ✓"]);
  });

  test("UTF-16LE without a BOM is recognised from the first '<?'", () => {
    assert.deepEqual(titles("utf16le_no_bom.xml"), ["UTF-16 “wide”", "Ünïcödé ✓"]);
  });

  test("a UTF-8 BOM wins over a wrong header charset", () => {
    assert.deepEqual(titles("utf8_bom.xml", "text/xml; charset=iso-8859-1"), ["Naïve BOM", "Ünïcödé"]);
    assert.equal(decodeFeed(fixture("utf8_bom.xml"), "text/xml; charset=iso-8859-1").source, "bom");
  });
});

describe("charset from the HTTP header", () => {
  test("header only (no declaration): ISO-8859-2", () => {
    assert.deepEqual(titles("iso8859_2_header_only.xml", "application/rss+xml; charset=ISO-8859-2"), [
      "Łódź i Kraków",
      "Zażółć gęślą jaźń",
    ]);
  });

  test("the header wins over the XML declaration", () => {
    // UTF-8 bytes that claim ISO-8859-1: read by the declaration they would be mojibake ("CafÃ©").
    assert.deepEqual(titles("utf8_declared_latin1.xml"), ["CafÃ©", "ZÃ¼rich"]);
    assert.deepEqual(titles("utf8_declared_latin1.xml", 'text/xml; charset="utf-8"'), ["Café", "Zürich"]);
  });

  test("an unknown header charset is skipped and the declaration decides", () => {
    assert.deepEqual(titles("latin1_declared.xml", "text/xml; charset=x-nonsense"), [
      "Café crème",
      "Zürich naïve façade",
    ]);
  });

  test("headerCharset reads quoted and unquoted parameters", () => {
    assert.equal(headerCharset('application/rss+xml; charset="windows-1252"'), "windows-1252");
    assert.equal(headerCharset("text/xml;charset=UTF-8; foo=bar"), "UTF-8");
    assert.equal(headerCharset("text/xml"), undefined);
    assert.equal(headerCharset(undefined), undefined);
  });
});

describe("no charset anywhere", () => {
  test("UTF-8 by default", () => {
    const bytes = new TextEncoder().encode(
      '<rss version="2.0"><channel><title>Ünïcödé</title></channel></rss>',
    );
    assert.equal(parseFeed(bytes, { url: URL_ }).title, "Ünïcödé");
    assert.equal(decodeFeed(bytes).source, "default");
  });

  test("bytes that are not UTF-8 fall back to windows-1252", () => {
    assert.deepEqual(titles("windows1252_undeclared.xml"), ["Undeclared “legacy”", "Café"]);
    assert.equal(decodeFeed(fixture("windows1252_undeclared.xml")).source, "fallback");
  });
});

describe("U+FFFD written in the document", () => {
  // The decoder reads UTF-8 replacing bad bytes and checks the text for U+FFFD: one that the bytes spell
  // (EF BF BD) must not be taken for a bad byte, and a bad byte beside it must still be one.
  test("a valid U+FFFD keeps the document UTF-8", () => {
    const bytes = new TextEncoder().encode(
      '<rss version="2.0"><channel><title>a \ufffd “b”</title></channel></rss>',
    );
    assert.equal(parseFeed(bytes, { url: URL_ }).title, "a \ufffd “b”");
    assert.equal(decodeFeed(bytes).charset, "utf-8");
    assert.equal(decodeFeed(bytes, "text/xml; charset=utf-8").source, "header");
  });

  test("a bad byte beside a valid U+FFFD still means windows-1252", () => {
    const bytes = new Uint8Array([
      ...new TextEncoder().encode('<rss version="2.0"><channel><title>\ufffd '),
      0xe9, // é in windows-1252, a bad byte in UTF-8
      ...new TextEncoder().encode("</title></channel></rss>"),
    ]);
    const decoded = decodeFeed(bytes);
    assert.equal(decoded.source, "fallback");
    assert.equal(decoded.charset, "windows-1252");
  });
});

describe("a declared UTF-8 the bytes contradict", () => {
  test("a header charset=utf-8 on Latin-1 bytes yields to the XML declaration", () => {
    assert.deepEqual(titles("latin1_declared.xml", "text/xml; charset=utf-8"), [
      "Café crème",
      "Zürich naïve façade",
    ]);
    assert.equal(decodeFeed(fixture("latin1_declared.xml"), "text/xml; charset=utf-8").source, "declaration");
  });

  test("a declared UTF-8 on windows-1252 bytes falls back to windows-1252", () => {
    const body = new Uint8Array([
      ...new TextEncoder().encode(
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>',
      ),
      0x93,
      0x71,
      0x94, // “q” in windows-1252
      ...new TextEncoder().encode("</title></channel></rss>"),
    ]);
    assert.equal(parseFeed(body, { url: URL_ }).title, "“q”");
  });
});
