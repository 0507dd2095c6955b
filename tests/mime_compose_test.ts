/**
 * Whole messages from `composeMessage` (the string-built composer): their MIME structure for 0, 1 and 2
 * images read back with the independent test parser, byte-identical images, deterministic bytes, and the
 * wire rules (7-bit, CRLF only, lines within 998 octets and encoded body lines within 76).
 */
import { describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { composeMessage } from "../lib/mime/mod.ts";
import type { EntryItem } from "../lib/mime/mod.ts";
import type { InlineImage } from "../lib/html/mod.ts";
import {
  allParts,
  bodyText,
  decodeWords,
  headerValue,
  type MimePart,
  parseMime,
  partByCid,
} from "./support/mime_reader.ts";

const FIXED_NOW = new Date("2030-06-01T00:00:00Z");

function image(n: number, size: number, filename = `${n}.png`): InlineImage {
  const content = new Uint8Array(size);
  let s = n * 7919;
  for (let i = 0; i < size; i++) content[i] = (s = (s * 1_103_515_245 + 12_345) & 0x7fffffff) >> 16;
  return {
    cid: `img${n}.f00d@sluice`,
    url: `https://example.org/${n}.png`,
    contentType: "image/png",
    filename,
    content,
  };
}

function entry(images: InlineImage[], html = "<p>Grüße aus Zürich</p>", id = "urn:compose:1"): EntryItem {
  return {
    feed: { url: "https://example.org/feed.xml", folder: "News" },
    feedTitle: "Example Blog",
    entry: {
      id,
      title: "Café — news",
      link: "https://example.org/1",
      published: "2025-01-02T03:04:05Z",
      enclosures: [],
    },
    html: html + images.map((i) => `<img src="cid:${i.cid}">`).join(""),
    images,
  };
}

/** The wire rules every composed message keeps. */
function assertWireFormat(raw: Uint8Array, what: string): void {
  assert.ok(raw.every((b) => b < 0x80), `${what}: 7-bit`);
  const s = new TextDecoder().decode(raw);
  assert.doesNotMatch(s, /\r(?!\n)|(?<!\r)\n/, `${what}: CRLF only`);
  const [head, ...rest] = s.split("\r\n\r\n");
  for (const line of head.split("\r\n")) {
    assert.ok(line.length <= 998, `${what}: header line of ${line.length}`);
  }
  for (const line of rest.join("\r\n\r\n").split("\r\n")) {
    assert.ok(line.length <= 998, `${what}: line of ${line.length}`);
    // Body lines are encoded (76 at most); part headers are folded (76 unless a single long word).
    if (!/^[A-Za-z-]+: |^\s/.test(line)) assert.ok(line.length <= 76, `${what}: body line of ${line.length}`);
  }
}

describe("composed message structure", () => {
  test("no image: multipart/alternative of text/plain and text/html", async () => {
    const msg = await composeMessage(entry([]), { now: () => FIXED_NOW });
    assertWireFormat(msg.raw, "0 images");
    const root = parseMime(msg.raw);
    assert.equal(root.contentType, "multipart/alternative");
    assert.deepEqual(root.parts.map((p) => p.contentType), ["text/plain", "text/html"]);
    assert.match(
      bodyText(root.parts[0]),
      /^Grüße aus Zürich\r\n\r\n--\r\nOriginal: https:\/\/example\.org\/1\r\n$/,
    );
    assert.match(bodyText(root.parts[1]), /<title>Café — news<\/title>/);
    assert.deepEqual(root.parts.map((p) => headerValue(p, "content-transfer-encoding")), [
      "quoted-printable",
      "quoted-printable",
    ]);
  });

  for (const count of [1, 2]) {
    test(`${count} image(s): the HTML and its images in multipart/related, images byte-identical`, async () => {
      const images = [image(1, 7_001), image(2, 6_998, "Bild für dich.png")].slice(0, count);
      const msg = await composeMessage(entry(images), { now: () => FIXED_NOW });
      assertWireFormat(msg.raw, `${count} images`);
      const root = parseMime(msg.raw);
      assert.deepEqual(root.parts.map((p) => p.contentType), ["text/plain", "multipart/related"]);
      const related = root.parts[1];
      assert.equal(related.params.type, "text/html");
      assert.deepEqual(related.parts.map((p) => p.contentType), [
        "text/html",
        ...images.map(() => "image/png"),
      ]);
      for (const input of images) {
        const part = partByCid(root, input.cid) as MimePart;
        assert.ok(related.parts.includes(part));
        assert.deepEqual(part.body, input.content);
        assert.equal(decodeWords(part.params.name), input.filename);
        assert.match(headerValue(part, "content-disposition") ?? "", /^inline; filename/);
        assert.match(bodyText(related.parts[0]), new RegExp(`src="cid:${input.cid.replace(/\./g, "\\.")}"`));
      }
    });
  }

  test("the same entry composes to the same bytes; another entry gets other boundaries", async () => {
    const images = [image(1, 3_000), image(2, 2_000)];
    const a = await composeMessage(entry(images), { now: () => FIXED_NOW });
    const b = await composeMessage(entry(images.map((i) => ({ ...i, content: i.content.slice() }))));
    assert.deepEqual(a.raw, b.raw);
    const c = await composeMessage(entry(images, "<p>Grüße aus Bern</p>", "urn:compose:2"));
    const boundary = (raw: Uint8Array) => parseMime(raw).params.boundary;
    assert.notEqual(boundary(a.raw), boundary(c.raw));
    assert.match(boundary(a.raw), /^=_[0-9a-f]{24}_1$/);
  });

  test("hostile bodies: long lines, CRLF and lone CR, dots and '=' at line starts, non-BMP text", async () => {
    const html = [
      `<p>${"x".repeat(3_000)}</p>`,
      "<pre>\r\n.hidden\r\n=3D\rlone CR\r\n</pre>",
      `<p>${"🎉 ".repeat(400)}</p>`,
      "<p>trailing spaces   \n\t</p>",
    ].join("\n");
    const msg = await composeMessage(entry([image(1, 500)], html), { now: () => FIXED_NOW });
    assertWireFormat(msg.raw, "hostile");
    const htmlPart = parseMime(msg.raw).parts[1].parts[0];
    const decoded = bodyText(htmlPart);
    assert.ok(decoded.includes(`<p>${"x".repeat(3_000)}</p>`));
    assert.ok(decoded.includes("<pre>\r\n.hidden\r\n=3D\rlone CR\r\n</pre>"));
    assert.ok(decoded.includes("🎉 ".repeat(400)));
  });

  test("headers: List-Id phrase for an ASCII feed title, long and non-ASCII entry ids, a To list", async () => {
    const long = `urn:${"é".repeat(600)}:${"y".repeat(1_500)}`;
    const msg = await composeMessage(entry([], "<p>x</p>", long), {
      to: "Jörg Müller <jm@example.org>, other@example.org",
      now: () => FIXED_NOW,
    });
    assertWireFormat(msg.raw, "long id");
    const root = parseMime(msg.raw);
    assert.equal(headerValue(root, "x-sluice-entry-id"), long);
    assert.equal(headerValue(root, "to"), "Jörg Müller <jm@example.org>, other@example.org");
    assert.match(
      headerValue(root, "list-id") ?? "",
      /^"Example Blog" <[0-9a-f]{16}\.feeds\.sluice\.invalid>$/,
    );
    assert.equal(headerValue(root, "mime-version"), "1.0");
    assert.equal(headerValue(root, "date"), "Thu, 02 Jan 2025 03:04:05 +0000");
    const names = root.headers.map(([n]) => n);
    for (const name of ["from", "to", "subject", "date", "message-id", "x-sluice-feed", "list-id"]) {
      assert.equal(names.filter((n) => n === name).length, 1, `one ${name}`);
    }
    assert.equal(allParts(root).length, 3);
  });

  test("listId: false leaves List-Id out", async () => {
    const msg = await composeMessage(entry([]), { listId: false, now: () => FIXED_NOW });
    assert.equal(headerValue(parseMime(msg.raw), "list-id"), undefined);
  });
});
