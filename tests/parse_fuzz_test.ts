/**
 * Fuzzing the feed parser with damaged copies of real-shaped documents: random truncation, byte flips,
 * markup characters dropped in, slices repeated, and absurd nesting. A fixed number of cases from a
 * seeded generator, so every run tests the same documents: whatever comes in, parseFeed returns a feed
 * or throws FeedParseError; no other exception escapes it, and it never hangs (the runner's timeout
 * would catch that).
 */
import { describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { FeedParseError, parseFeed } from "../lib/feed/mod.ts";

const SEEDS = [
  "rss2_full.xml",
  "atom10_full.xml",
  "rss1_rdf.xml",
  "atom03.xml",
  "dtd_entities.xml",
  "atom_content_constructs.xml",
  "rss_media_images.xml",
  "utf16le_bom.xml",
  "json11.json",
].map((name) => new Uint8Array(readFileSync(new URL(`./fixtures/feeds/${name}`, import.meta.url))));

/** mulberry32: small, fast and good enough to pick damage. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MARKUP = new TextEncoder().encode("<>&;/\"'=![]?-#x");

function insert(bytes: Uint8Array, at: number, piece: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length + piece.length);
  out.set(bytes.subarray(0, at));
  out.set(piece, at);
  out.set(bytes.subarray(at), at + piece.length);
  return out;
}

function damage(bytes: Uint8Array, rand: () => number): Uint8Array {
  const pick = (n: number) => Math.floor(rand() * n);
  let out: Uint8Array = bytes.slice();
  const kind = pick(5);
  if (kind === 0) return out.subarray(0, pick(out.length + 1));
  if (kind === 1 || kind === 2) {
    const flips = 1 + pick(kind === 1 ? 8 : 64);
    for (let i = 0; i < flips; i++) {
      out[pick(out.length)] = kind === 1 ? pick(256) : MARKUP[pick(MARKUP.length)];
    }
  } else if (kind === 3) {
    const from = pick(out.length);
    out = insert(out, pick(out.length), out.slice(from, Math.min(out.length, from + pick(400))));
  } else {
    const depth = 1 + pick(2_000);
    const open = new TextEncoder().encode(rand() < 0.5 ? "<a>" : "<x:y xmlns:x='u' xml:base='a/'>");
    const nest = new Uint8Array(open.length * depth);
    for (let i = 0; i < depth; i++) nest.set(open, i * open.length);
    out = insert(out, pick(out.length), nest);
  }
  if (rand() < 0.3) out = out.subarray(0, pick(out.length + 1));
  return out;
}

describe("fuzzing parseFeed", () => {
  test("1,000 damaged documents: a feed or a FeedParseError, never another exception", () => {
    const rand = random(18);
    let feeds = 0;
    let recovered = 0;
    let refused = 0;
    for (let i = 0; i < 1_000; i++) {
      const bytes = damage(SEEDS[i % SEEDS.length], rand);
      try {
        const feed = parseFeed(bytes, { url: "https://fuzz.example/feed" });
        feeds++;
        if (feed.recovered) recovered++;
        assert.ok(Array.isArray(feed.entries));
      } catch (error) {
        if (!(error instanceof FeedParseError)) {
          assert.fail(`case ${i}: ${error instanceof Error ? error.stack : error}`);
        }
        refused++;
      }
    }
    assert.equal(feeds + refused, 1_000);
    assert.ok(recovered > 0, "some damaged documents were recovered");
  });

  test("nesting far deeper than the limit, and as deep as it, end in a feed", () => {
    for (const depth of [511, 512, 513, 20_000]) {
      const xml = `<rss version="2.0"><channel><item><guid>1</guid><description>${"<b>".repeat(depth)}x` +
        `${"</b>".repeat(depth)}</description></item></channel></rss>`;
      const feed = parseFeed(new TextEncoder().encode(xml), { url: "https://fuzz.example/deep" });
      assert.equal(feed.entries.length, 1, String(depth));
    }
  });
});
