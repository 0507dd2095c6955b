/**
 * The exact bytes `composeMessage` writes, pinned by their SHA-256 for a few representative entries
 * (no image; one image of W3's size; two images, an attachment, a non-Latin body that goes as base64, and
 * a body shorter than one base64 line): a change to how the composer builds its strings or bytes must
 * leave every message byte-identical, or a retried delivery would not be the same message.
 */
import { describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { composeMessage } from "../lib/mime/mod.ts";
import type { EntryItem } from "../lib/mime/mod.ts";
import type { InlineImage } from "../lib/html/mod.ts";

const FIXED_NOW = new Date("2030-06-01T00:00:00Z");

function bytes(seed: number, size: number): Uint8Array {
  const content = new Uint8Array(size);
  let s = seed * 7919;
  for (let i = 0; i < size; i++) content[i] = (s = (s * 1_103_515_245 + 12_345) & 0x7fffffff) >> 16;
  return content;
}

function image(n: number, size: number): InlineImage {
  return {
    cid: `img${n}.f00d@sluice`,
    url: `https://example.org/${n}.png`,
    contentType: "image/png",
    filename: `${n}.png`,
    content: bytes(n, size),
  };
}

function entry(html: string, images: InlineImage[], extra: Partial<EntryItem> = {}): EntryItem {
  return {
    feed: { url: "https://example.org/feed.xml", folder: "News" },
    feedTitle: "Example Blog",
    entry: {
      id: "urn:exact:1",
      title: "Café — news",
      link: "https://example.org/1",
      published: "2025-01-02T03:04:05Z",
      enclosures: [],
    },
    html: html + images.map((i) => `<img src="cid:${i.cid}">`).join(""),
    images,
    ...extra,
  };
}

const LATIN = "<p>Grüße aus Zürich. A line with = signs, trailing spaces   \nand a tab\t.</p>".repeat(40);
const CASES: [string, EntryItem, string][] = [
  ["no image", entry("<p>Hello</p>", []), "3fe4603cbdecd05d144c4271a25f5d80888bb9e995d5eb4136d631e3c3950382"],
  [
    "one image of 14.5 KB",
    entry(LATIN, [image(1, 14_500)]),
    "fad2b81ea19ea3f81bce52b798333200065f060299b445750bdbd1e8baa10f55",
  ],
  [
    "two images, an attachment, a non-Latin body",
    entry("<p>日本語のテキスト、長い文章です。</p>".repeat(30), [image(2, 7_000), image(3, 40)], {
      attachments: [{
        url: "https://example.org/a.mp3",
        filename: "a.mp3",
        contentType: "audio/mpeg",
        content: bytes(9, 3_001),
      }],
    }),
    "04e846d57658c823df8251373fc823dfc6befac0187c61b538305045c649759d",
  ],
  [
    "an image shorter than one base64 line",
    entry("<p>x</p>", [image(4, 30)]),
    "f4f3c90b7c304a739203719664de28a1330b13ab9da788d3001f3e2d2ec0112a",
  ],
];

describe("composeMessage's exact bytes", () => {
  for (const [what, item, pinned] of CASES) {
    test(what, async () => {
      const msg = await composeMessage(item, { now: () => FIXED_NOW });
      assert.equal(createHash("sha256").update(msg.raw).digest("hex"), pinned);
    });
  }
});
