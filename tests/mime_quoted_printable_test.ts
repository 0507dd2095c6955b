/**
 * Body encodings of composed mail (`stages/mime/quoted_printable.ts`, `stages/mime/body_encoding.ts`):
 * every encoding is decoded back with the independent test parser and checked against the RFC 2045 rules
 * (76-character lines, CRLF only, 7-bit, no trailing whitespace, escapes and characters never split).
 */
import { describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { encodeQuotedPrintable } from "../lib/mime/quoted_printable.ts";
import { encodeBase64Body, encodeTextBody } from "../lib/mime/body_encoding.ts";
import { bodyText, parseMime } from "./support/mime_reader.ts";

/** The body decoded by the test parser, as text (UTF-8). */
function decode(encoded: string, transferEncoding = "quoted-printable"): string {
  return bodyText(
    parseMime(
      `Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: ${transferEncoding}\r\n\r\n${encoded}`,
    ),
  );
}

/** Text as it must come back: every line break a CRLF. */
const crlf = (s: string) => s.replace(/\r?\n/g, "\r\n");

/** The RFC 2045 rules every quoted-printable output keeps; `what` names the input in messages. */
function assertWellFormed(encoded: string, what: string): void {
  assert.doesNotMatch(encoded, /[^\x20-\x7e\r\n\t]/, `${what}: 7-bit printable only`);
  assert.doesNotMatch(encoded, /\r(?!\n)|(?<!\r)\n/, `${what}: no bare CR or LF`);
  const lines = encoded.split("\r\n");
  for (const [i, line] of lines.entries()) {
    assert.ok(line.length <= 76, `${what}: line ${i} has ${line.length} characters`);
    assert.doesNotMatch(line, /[ \t]$/, `${what}: line ${i} ends in whitespace`);
    assert.ok(!line.startsWith("."), `${what}: line ${i} starts with a dot`);
    // Every "=" is an escape or the soft break that ends the line: never split across lines.
    assert.doesNotMatch(line.replace(/=$/, ""), /=(?![0-9A-F]{2})/, `${what}: line ${i} splits an escape`);
    // A soft break never falls inside a UTF-8 character: no line starts with a continuation byte.
    if (i > 0 && lines[i - 1].endsWith("=")) {
      assert.doesNotMatch(line, /^=[89AB][0-9A-F]/, `${what}: line ${i} starts inside a character`);
    }
  }
}

function roundTrip(input: string, what: string): string {
  const encoded = encodeQuotedPrintable(input);
  assertWellFormed(encoded, what);
  assert.equal(decode(encoded), crlf(input), `${what}: decodes back`);
  return encoded;
}

describe("quoted-printable", () => {
  test("ASCII text stays readable; '=' is escaped; LF and CRLF become CRLF", () => {
    assert.equal(roundTrip("Hello, world!\nline two\r\n", "ascii"), "Hello, world!\r\nline two\r\n");
    assert.equal(roundTrip("a=b", "equals"), "a=3Db");
    assert.equal(roundTrip("", "empty"), "");
    assert.equal(roundTrip("\n\n", "only breaks"), "\r\n\r\n");
  });

  test("UTF-8: 2-, 3- and 4-byte characters, and a lone surrogate as U+FFFD", () => {
    assert.equal(roundTrip("Café — 日本 🎉", "utf-8"), "Caf=C3=A9 =E2=80=94 =E6=97=A5=E6=9C=AC =F0=9F=8E=89");
    const encoded = encodeQuotedPrintable("a\ud800b");
    assert.equal(encoded, "a=EF=BF=BDb");
    assert.equal(decode(encoded), "a\ufffdb");
  });

  test("long lines without spaces get soft breaks that split neither escapes nor characters", () => {
    roundTrip("x".repeat(1_000), "long ascii");
    roundTrip("é".repeat(500), "long 2-byte");
    roundTrip("€".repeat(300), "long 3-byte");
    roundTrip("🎉".repeat(200), "long 4-byte");
    roundTrip("ab=".repeat(200), "long with escapes");
    // Every alignment of an escape against the line end.
    for (let shift = 0; shift < 6; shift++) {
      roundTrip(`${"y".repeat(70 + shift)}é=€🎉${"z".repeat(80)}`, `shift ${shift}`);
    }
  });

  test("a line of exactly 76 characters stays whole; 77 gets a soft break", () => {
    assert.equal(roundTrip("a".repeat(76), "76"), "a".repeat(76));
    assert.equal(roundTrip(`${"a".repeat(76)}\nb`, "76 then break"), `${"a".repeat(76)}\r\nb`);
    assert.equal(roundTrip("a".repeat(77), "77"), `${"a".repeat(75)}=\r\naa`);
  });

  test("whitespace before a line break or at the end is escaped, elsewhere kept", () => {
    assert.equal(roundTrip("a \nb\t\r\nc ", "trailing"), "a=20\r\nb=09\r\nc=20");
    assert.equal(roundTrip("a b\tc", "inner"), "a b\tc");
    // Whitespace just before a soft break is protected by the "=" and stays as it is.
    const encoded = roundTrip(`x${"w ".repeat(60)}end`, "spaces at soft breaks");
    assert.ok(encoded.includes(" =\r\n"));
  });

  test("'.' and '=' starting a line, and a dot moved to a line start by a soft break, are escaped", () => {
    assert.equal(roundTrip(".\n.x\n=y", "line starts"), "=2E\r\n=2Ex\r\n=3Dy");
    assert.equal(roundTrip("a.b", "inner dot"), "a.b");
    const encoded = roundTrip(`${"a".repeat(75)}.b`, "dot after a soft break");
    assert.equal(encoded, `${"a".repeat(75)}=\r\n=2Eb`);
  });

  test("CRLF in the input is one line break; a lone CR is data", () => {
    assert.equal(roundTrip("one\r\ntwo\r\n\r\nthree", "crlf"), "one\r\ntwo\r\n\r\nthree");
    assert.equal(encodeQuotedPrintable("a\rb"), "a=0Db");
    assert.equal(decode(encodeQuotedPrintable("a\rb")), "a\rb");
    assert.equal(encodeQuotedPrintable("a\u0000\u007f"), "a=00=7F");
  });

  test("worst-case expansion and bodies larger than the reused buffer come out whole", () => {
    const surrogates = encodeQuotedPrintable("\ud800".repeat(5_000));
    assertWellFormed(surrogates, "lone surrogates");
    assert.equal(decode(surrogates), "\ufffd".repeat(5_000));
    roundTrip(".\n".repeat(5_000), "dot lines");
    roundTrip("€".repeat(150_000), "1.3 MB of escapes");
    roundTrip("ascii ".repeat(50_000), "300 KB of ascii");
    assert.equal(roundTrip("é", "after a large body"), "=C3=A9");
  });

  test("random text from a hostile alphabet round-trips", () => {
    const alphabet = [
      "a",
      "Z",
      " ",
      "\t",
      "\n",
      "\r\n",
      "\r",
      "=",
      ".",
      "é",
      "€",
      "🎉",
      "日",
      "\u0000",
      "~",
      "x".repeat(90),
    ];
    let seed = 7;
    const next = () => (seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff) % alphabet.length;
    for (let t = 0; t < 300; t++) {
      let s = "";
      for (let k = 0; k < 1 + (t % 60) * 3; k++) s += alphabet[next()];
      roundTrip(s, `random ${t}`);
    }
  });
});

describe("text and binary bodies", () => {
  test("mostly Latin text is quoted-printable; mostly non-Latin text is base64 (shorter), both decode", () => {
    const latin = "Grüße aus Zürich, the café is open.\n";
    assert.equal(encodeTextBody(latin).transferEncoding, "quoted-printable");
    const cjk = "日本語のテキストです。\n".repeat(20);
    const encoded = encodeTextBody(cjk);
    assert.equal(encoded.transferEncoding, "base64");
    assert.ok(encoded.body.split("\r\n").every((l) => l.length <= 76));
    assert.equal(decode(encoded.body, "base64"), crlf(cjk));
    assert.ok(encoded.body.length < encodeQuotedPrintable(cjk).length);
  });

  test("binary as base64 in 76-character CRLF lines, byte-identical after decoding", () => {
    const bytes = new Uint8Array(5_000).map((_, i) => (i * 131 + 7) & 0xff);
    const body = new TextDecoder().decode(encodeBase64Body(bytes.subarray(3, 4_003)));
    assert.equal(
      body,
      Buffer.from(bytes.subarray(3, 4_003)).toString("base64").replace(/.{76}(?!$)/g, "$&\r\n"),
    );
    const lines = body.split("\r\n");
    assert.ok(lines.slice(0, -1).every((l) => l.length === 76));
    assert.ok(lines.at(-1)!.length <= 76);
    const part = parseMime(`Content-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\n${body}`);
    assert.deepEqual(part.body, bytes.subarray(3, 4_003));
    assert.equal(encodeBase64Body(new Uint8Array()).length, 0);
    for (let n = 0; n <= 120; n++) {
      // Every remainder (padding) and every length around a line's 57 bytes, against the runtime's own.
      const some = bytes.subarray(0, n);
      const expected = Buffer.from(some).toString("base64").replace(/.{76}(?!$)/g, "$&\r\n");
      assert.equal(new TextDecoder().decode(encodeBase64Body(some)), expected, `${n} bytes`);
    }
  });
});
