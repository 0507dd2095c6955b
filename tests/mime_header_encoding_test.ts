/**
 * Header fields of composed mail (`stages/mime/header_encoding.ts`): written, then read back with the
 * independent test parser (unfolding, RFC 2047 words, RFC 2231 parameters), and checked to be 7-bit with
 * folded lines.
 */
import { describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import {
  attachmentContentType,
  encodeDisplayName,
  encodeUnstructured,
  formatAddressList,
  formatMailbox,
  headerField,
  headerWithParams,
  wordEncoding,
} from "../lib/mime/header_encoding.ts";
import { decodeWords, headerValue, parseMime } from "./support/mime_reader.ts";

/** Reads one field back through the test parser: unfolded and decoded. */
function readBack(field: string, name: string): string | undefined {
  return headerValue(parseMime(`${field}\r\n\r\n`), name);
}

/** A written field is 7-bit, its lines (CRLF-joined) within 78 characters where it has spaces to fold at. */
function assertFolded(field: string, what: string, limit = 78): void {
  assert.doesNotMatch(field, /[^\x20-\x7e\r\n]/, `${what}: 7-bit printable`);
  assert.doesNotMatch(field, /\r(?!\n)|(?<!\r)\n/, `${what}: no bare CR or LF`);
  for (const line of field.split("\r\n")) {
    assert.ok(line.length <= limit, `${what}: ${line.length} > ${limit}`);
  }
  for (const line of field.split("\r\n").slice(1)) {
    assert.match(line, /^[ \t]/, `${what}: continuation folds`);
  }
}

describe("header encoding", () => {
  test("non-ASCII subjects become encoded words, folded, and read back unchanged", () => {
    const subjects = [
      "Smörgåsbord für alle — ein sehr langer Titel, der über die Zeilenlänge hinausgeht, bestimmt",
      "日本語のタイトル、とても長いのでいくつかの行に折り返されるはずです。もう少し長くします。",
      "Emoji 🎉🎉🎉 and “quotes” and a=b?c_d",
      'Plain ASCII "with quotes" stays readable',
    ];
    for (const subject of subjects) {
      const field = headerField("Subject", encodeUnstructured(subject));
      assertFolded(field, subject);
      assert.equal(readBack(field, "subject"), subject);
    }
    assert.equal(encodeUnstructured("Hello world"), "Hello world");
    assert.equal(wordEncoding("Café"), "Q");
    assert.equal(wordEncoding("日本語"), "B");
  });

  test("a word too long to fold is cut into encoded words; the value reads back whole", () => {
    const id = `urn:${"x".repeat(2_000)}`;
    const field = headerField("X-Sluice-Entry-Id", encodeUnstructured(id));
    assertFolded(field, "long id");
    assert.equal(readBack(field, "x-sluice-entry-id"), id);
    // Long but foldable values keep their words as they are.
    const words = Array.from({ length: 300 }, (_, i) => `w${i}`).join(" ");
    assert.equal(encodeUnstructured(words), words);
  });

  test("display names: bare, quoted when they hold specials, encoded when not ASCII", () => {
    assert.equal(encodeDisplayName("Example Blog"), "Example Blog");
    assert.equal(encodeDisplayName('Bob "the" O\'Brien, Jr.'), '"Bob \\"the\\" O\'Brien, Jr."');
    const names: Array<[string, string]> = [
      ["Zürich Café Blog", "Zürich Café Blog"],
      ["日本のブログ", "日本のブログ"],
      ['A "quoted" <name>, with; specials', '"A \\"quoted\\" <name>, with; specials"'],
      ["example.org", '"example.org"'],
    ];
    for (const [name, shown] of names) {
      const field = headerField("From", formatMailbox("feed@sluice.invalid", name));
      assertFolded(field, name);
      assert.equal(readBack(field, "from"), `${shown} <feed@sluice.invalid>`);
    }
  });

  test("addresses: bare or bracketed, punycode domains, lists from configuration", () => {
    assert.equal(formatMailbox("me@example.org"), "me@example.org");
    assert.equal(formatMailbox("me@jõgeva.ee"), "me@xn--jgeva-dua.ee");
    assert.equal(formatMailbox("odd local@example.org"), '<"odd local"@example.org>');
    assert.equal(formatMailbox("a@b.c\r\nBcc: x@y"), '<"a@b.c Bcc: x"@y>', "one mailbox, no new field");
    assert.equal(
      formatAddressList("Jörg <j@example.org>, k@example.org"),
      "=?UTF-8?Q?J=C3=B6rg?= <j@example.org>, k@example.org",
    );
    assert.equal(formatAddressList("team: a@example.org, b@example.org;"), "a@example.org, b@example.org");
    assert.equal(formatAddressList("rss@sluice.invalid"), "rss@sluice.invalid");
  });

  test("filenames: tokens bare, specials quoted, non-ASCII as RFC 2231 (filename) and words (name)", () => {
    const cases: Array<[string, RegExp]> = [
      ["1.png", /^image\/png; name=1\.png$/],
      ["my picture (1).png", /^image\/png; name="my picture \(1\)\.png"$/],
      ["Bild für dich.png", /^image\/png; name="=\?UTF-8\?Q\?Bild_f=C3=BCr_dich=2Epng\?="$/],
      ["日本語の画像.jpg", /^image\/png; name="=\?UTF-8\?B\?/],
    ];
    for (const [filename, pattern] of cases) {
      const type = attachmentContentType("image/png", filename);
      assert.match(type, pattern);
      const typeField = headerField("Content-Type", type);
      assertFolded(typeField, filename);
      const part = parseMime(`${typeField}\r\n\r\n`);
      assert.equal(part.contentType, "image/png");
      assert.equal(decodeWords(part.params.name), filename);
      // Read the disposition's parameters with the same parser by presenting them as a content type.
      const disposition = headerWithParams("inline", { filename });
      assertFolded(headerField("Content-Disposition", disposition), filename);
      assert.equal(parseMime(`Content-Type: ${disposition}\r\n\r\n`).params.filename, filename);
    }
    const long = `${"très long nom ".repeat(20)}.png`;
    const folded = headerField("Content-Disposition", headerWithParams("inline", { filename: long }));
    assertFolded(folded, "long filename");
    assert.equal(
      parseMime(`Content-Type: ${headerWithParams("inline", { filename: long })}\r\n\r\n`).params.filename,
      long,
    );
    assert.equal(attachmentContentType("image/png; name=evil.exe", "a.png"), "image/png; name=a.png");
  });
});
