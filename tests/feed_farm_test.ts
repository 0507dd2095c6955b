import { describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { inflateSync } from "node:zlib";
import { Buffer } from "node:buffer";
// deno-lint-ignore no-import-prefix
import { parseFeed, parseOpml } from "npm:feedsmith@^3.0.1";
import { type FeedFarm, type FeedFarmOptions, startFeedFarm } from "./support/feed_farm.ts";
import { crc32 } from "./support/png_image.ts";

/** Runs `fn` with a farm and always closes it (Deno's sanitizers check every test). */
async function withFarm(options: FeedFarmOptions, fn: (farm: FeedFarm) => Promise<void>): Promise<void> {
  const farm = await startFeedFarm(options);
  try {
    await fn(farm);
  } finally {
    await farm.close();
  }
}

/** Items (RSS, RDF, JSON Feed) or entries (Atom) of a document, as feedsmith parses it. */
function itemCount(document: string): number | undefined {
  const { feed } = parseFeed(document);
  return ("items" in feed ? feed.items : "entries" in feed ? feed.entries : undefined)?.length;
}

async function getText(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers });
  return { res, text: await res.text() };
}

/** Checks PNG structure: signature, chunk CRCs, IHDR first, IEND last, IDAT inflating to the pixel rows. */
function assertValidPng(bytes: Uint8Array): { width: number; height: number } {
  const b = Buffer.from(bytes);
  assert.deepEqual([...b.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  let offset = 8;
  const chunks: Array<{ type: string; data: Buffer }> = [];
  while (offset < b.length) {
    const length = b.readUInt32BE(offset);
    const type = b.toString("latin1", offset + 4, offset + 8);
    const data = b.subarray(offset + 8, offset + 8 + length);
    assert.equal(
      b.readUInt32BE(offset + 8 + length),
      crc32(b.subarray(offset + 4, offset + 8 + length)),
      type,
    );
    chunks.push({ type, data });
    offset += 12 + length;
  }
  assert.equal(offset, b.length);
  assert.deepEqual(chunks.map((c) => c.type), ["IHDR", "IDAT", "IEND"]);
  const width = chunks[0].data.readUInt32BE(0);
  const height = chunks[0].data.readUInt32BE(4);
  assert.equal(inflateSync(chunks[1].data).length, (width * 3 + 1) * height);
  return { width, height };
}

describe("feed farm", () => {
  test("serves RSS 2.0, Atom 1.0, RSS 1.0 and JSON Feed 1.1 that a feed parser reads", async () => {
    await withFarm(
      { feeds: 4, entries: 3, images: 2, formats: ["rss", "atom", "rdf", "json"] },
      async (farm) => {
        const expected = [
          ["rss", "application/rss+xml"],
          ["atom", "application/atom+xml"],
          ["rdf", "application/rdf+xml"],
          ["json", "application/feed+json"],
        ];
        for (const [i, [format, type]] of expected.entries()) {
          const { res, text } = await getText(farm.feedUrls[i]);
          assert.equal(res.status, 200);
          assert.match(res.headers.get("content-type") ?? "", new RegExp(`^${type.replace("+", "\\+")}`));
          assert.equal(parseFeed(text).format, format);
          assert.equal(itemCount(text), 3, format);
          assert.equal(farm.feedEntries(i).length, 3);
        }
        assert.equal(farm.counters.feedRequests, 4);
        assert.equal(farm.counters.feedOk, 4);
      },
    );
  });

  test("the default rotation has about 15% JSON Feed, and the same seed gives the same bytes", async () => {
    await withFarm({ feeds: 20, entries: 2, images: 1, seed: 7 }, async (a) => {
      const count = (f: string) => a.feedFormats.filter((x) => x === f).length;
      assert.deepEqual([count("rss"), count("atom"), count("rdf"), count("json")], [8, 6, 3, 3]);
      await withFarm({ feeds: 20, entries: 2, images: 1, seed: 7 }, async (b) => {
        const fa = (await getText(a.feedUrls[4])).text.replaceAll(a.baseUrl, "");
        const fb = (await getText(b.feedUrls[4])).text.replaceAll(b.baseUrl, "");
        assert.equal(fa, fb);
        const path = a.feedEntries(4)[1].imagePaths[0];
        assert.deepEqual(a.imageBytes(path), b.imageBytes(path));
      });
    });
  });

  test("answers 304 to If-None-Match and If-Modified-Since, 200 with one more entry after bump", async () => {
    await withFarm({ feeds: 2, entries: 4, images: 0, formats: ["rss"] }, async (farm) => {
      const url = farm.feedUrls[1];
      const first = await getText(url);
      const etag = first.res.headers.get("etag")!;
      const lastModified = first.res.headers.get("last-modified")!;
      assert.ok(etag && lastModified);
      const byTag = await fetch(url, { headers: { "If-None-Match": etag } });
      await byTag.body?.cancel();
      assert.equal(byTag.status, 304);
      const byDate = await fetch(url, { headers: { "If-Modified-Since": lastModified } });
      await byDate.body?.cancel();
      assert.equal(byDate.status, 304);
      assert.equal(farm.counters.notModified, 2);
      assert.equal(farm.counters.conditionalRequests, 2);

      const before = farm.feedEntries(1);
      assert.equal(farm.bump(1), 5);
      const after = farm.feedEntries(1);
      assert.deepEqual(after.slice(0, 4).map((e) => e.id), before.map((e) => e.id));
      assert.ok(after[4].published > before[3].published, "the new entry is the newest");
      const changed = await getText(url, { "If-None-Match": etag, "If-Modified-Since": lastModified });
      assert.equal(changed.res.status, 200);
      assert.notEqual(changed.res.headers.get("etag"), etag);
      assert.equal(itemCount(changed.text), 5);
      assert.ok(changed.text.includes(after[4].id));
      assert.equal(farm.counters.notModified, 2);

      farm.setFeedEntries(1, 1);
      assert.equal(itemCount((await getText(url)).text), 1);
      farm.resetCounters();
      assert.equal(farm.counters.requests, 0);
      assert.equal(farm.counters.notModified, 0);
    });
  });

  test("applies the latency to every request, concurrently, and counts them", async () => {
    await withFarm({ feeds: 5, entries: 1, images: 0, latencyMs: 120 }, async (farm) => {
      const t0 = performance.now();
      await Promise.all(farm.feedUrls.map((u) => getText(u)));
      const elapsed = performance.now() - t0;
      assert.ok(elapsed >= 115, `elapsed ${elapsed} ms`);
      assert.equal(farm.counters.requests, 5);
      // Concurrency is proven by the farm's own count, not by a wall-clock bound (a loaded machine is slow).
      assert.equal(farm.counters.maxConcurrent, 5);
      assert.equal(farm.counters.inFlight, 0);
      const stats = JSON.parse((await getText(`${farm.baseUrl}/stats`)).text);
      assert.equal(stats.requests, 5, "/stats is not counted");
    });
  });

  test("entries carry absolute, root-relative, srcset and data-src images that are valid PNGs", async () => {
    await withFarm({ feeds: 1, entries: 4, images: 2, formats: ["json"] }, async (farm) => {
      const feed = JSON.parse((await getText(farm.feedUrls[0])).text);
      const html: string = feed.items.map((i: { content_html: string }) => i.content_html).join("\n");
      assert.match(html, new RegExp(`<img src="${farm.baseUrl}/img/`));
      assert.match(html, /<img src="\/img\//);
      assert.match(html, /srcset="\/img\/\S+ 1x, \/img\/\S+@2x\.png 2x"/);
      assert.match(html, /src="data:image\/gif;base64,[^"]+" data-src="http:\/\/127\.0\.0\.1:\d+\/img\//);
      const urls = [...html.matchAll(/(?:src|data-src)="([^"]+\.png)"|, (\S+@2x\.png) 2x/g)]
        .map((m) => new URL(m[1] ?? m[2], farm.baseUrl).toString());
      // every image once, plus the @2x candidate of each srcset
      assert.equal(urls.length, 4 * 2 + html.split("srcset=").length - 1);
      for (const url of urls) {
        const res = await fetch(url);
        assert.equal(res.status, 200);
        assert.equal(res.headers.get("content-type"), "image/png");
        const bytes = new Uint8Array(await res.arrayBuffer());
        assertValidPng(bytes);
        assert.deepEqual(bytes, farm.imageBytes(url));
        if (!url.includes("@2x")) {
          assert.ok(bytes.length >= 4_000 && bytes.length <= 24_000, `${bytes.length} B`);
        }
      }
      assert.equal(farm.counters.imageRequests, urls.length);
      const missing = await fetch(`${farm.baseUrl}/img/f0001/e0009-0.png`);
      await missing.body?.cancel();
      assert.equal(missing.status, 404);
    });
  });

  test("serves /feeds.txt and an OPML with nested folders", async () => {
    await withFarm({ feeds: 8, entries: 1, images: 0 }, async (farm) => {
      const list = (await getText(`${farm.baseUrl}/feeds.txt`)).text;
      assert.equal(list, farm.feedListText);
      assert.deepEqual(list.trim().split("\n"), farm.feedUrls);
      const opmlText = (await getText(`${farm.baseUrl}/opml.xml`)).text;
      assert.equal(opmlText, farm.opmlText);
      const opml = parseOpml(opmlText);
      const top = opml.body?.outlines ?? [];
      assert.deepEqual(top.map((o) => o.text), ["News", "Tech", "Culture"]);
      const tech = top[1];
      assert.equal(tech.outlines?.filter((o) => o.xmlUrl).length, 2);
      const blogs = tech.outlines?.find((o) => o.text === "Blogs");
      assert.deepEqual(blogs?.outlines?.map((o) => o.xmlUrl), [farm.feedUrls[2], farm.feedUrls[6]]);
      assert.equal(farm.feedFolders[2], "Tech/Blogs");
      assert.ok(opmlText.includes("&amp; &lt;Friends&gt;"), "titles with & and < are escaped");
    });
  });

  test("failing feeds: 500, malformed, an HTML page, and a hang that close() ends", async () => {
    const failing = [
      { feed: 0, mode: "500" as const },
      { feed: 1, mode: "malformed" as const },
      { feed: 2, mode: "html" as const },
      { feed: 3, mode: "hang" as const },
    ];
    const farm = await startFeedFarm({ feeds: 5, entries: 2, images: 0, formats: ["rss"], failing });
    try {
      assert.equal((await getText(farm.feedUrls[0])).res.status, 500);
      const malformed = await getText(farm.feedUrls[1]);
      assert.equal(malformed.res.status, 200);
      assert.throws(() => parseFeed(malformed.text));
      const html = await getText(farm.feedUrls[2]);
      assert.match(html.res.headers.get("content-type") ?? "", /^text\/html/);
      assert.throws(() => parseFeed(html.text));
      assert.equal((await getText(farm.feedUrls[4])).res.status, 200);
      // The rejection is caught at once: it happens during close(), before anyone awaits `hung`.
      const hung = fetch(farm.feedUrls[3]).then((r) => r.text(), (e: unknown) => e);
      // Wait until the farm holds the request, then close: the client must see the connection end.
      await farm.until((c) => c.failed === 4);
      await farm.close();
      assert.ok((await hung) instanceof Error, "the hanging request ends with an error, not an answer");
    } finally {
      await farm.close();
    }
    await assert.rejects(fetch(farm.baseUrl + "/feeds.txt"), "nothing listens after close");
  });
});
