/**
 * Entry images: finding and sanitising them in HTML, sniffing types, fetching each distinct image once
 * per run (against a real local server), and rewriting references to `cid:` parts.
 */
import { after, before, describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import type http from "node:http";
import { rewriteEntryImages, rewriteImages } from "../stages/rewrite_images.ts";
import { fromIterable, pipeline, runPipeline, silentLogger, sink } from "../engine/pipeline/mod.ts";
import { parseFeed } from "../lib/feed/mod.ts";
import {
  FIND_IMAGES_TASK,
  findImages,
  ImageCache,
  rewriteImageRefs,
  sniffImageType,
} from "../lib/html/mod.ts";
import { cidForUrl, filenameForUrl } from "../lib/html/inline_name.ts";
import { bestCandidate, parseSrcset } from "../lib/html/srcset.ts";
import type { EntryItem } from "../lib/mime/mod.ts";
import { startServer, type TestServer } from "./support/http_server.ts";
import { WorkerPool } from "../engine/kernel/worker_pool.ts";

const b64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
/** Real 1x1 images. */
const PNG = b64(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
);
const GIF = b64("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7");
const SVG = new TextEncoder().encode('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>');

const ascii = (s: string) => Array.from(s, (c) => c.charCodeAt(0));
const bytes = (...parts: Array<number[] | string>) =>
  new Uint8Array(parts.flatMap((p) => (typeof p === "string" ? ascii(p) : p)));

let server: TestServer;
const stalled: http.ServerResponse[] = [];
const image = (body: Uint8Array, type: string) => (_req: http.IncomingMessage, res: http.ServerResponse) =>
  void res.writeHead(200, { "content-type": type }).end(body);

before(async () => {
  server = await startServer({
    "/logo.png": image(PNG, "image/png"),
    "/wrong-type": image(PNG, "text/html"), // a PNG the server calls HTML
    "/anim.gif": image(GIF, "application/octet-stream"),
    "/drawing.svg": image(SVG, "text/plain"),
    "/fake.png": image(new TextEncoder().encode("<html>Not found</html>"), "image/png"),
    "/huge.png": image(new Uint8Array([...PNG, ...new Uint8Array(4096)]), "image/png"),
    "/silent.png": (_req, res) => void stalled.push(res),
  });
  for (let i = 0; i < 5; i++) server.route(`/pic/${i}.png`, image(PNG, "image/png"));
});

after(async () => {
  for (const res of stalled) res.destroy();
  await server.close();
});

const entryItem = (html: string, extra: Partial<EntryItem["entry"]> = {}): EntryItem => ({
  feed: { url: server.url("/feed.xml"), folder: "News" },
  entry: { id: "1", link: server.url("/posts/1/"), html, enclosures: [], ...extra },
  images: [],
});

/** All `cid:` references in `html`. */
const cidRefs = (html: string) => [...html.matchAll(/src="cid:([^"]+)"/g)].map((m) => m[1]);

describe("findImages", () => {
  test("src, srcset and lazy attributes are found and resolved against the base URL", () => {
    const html = [
      '<img src="a.png">',
      '<img src="/abs-path.png">',
      '<img src="https://cdn.example.org/b.jpg">',
      '<img src="small.jpg" srcset="s.jpg 320w, l.jpg 1024w, m.jpg 640w" sizes="50vw">',
      '<img srcset="one.png, two.png 2x, three.png 1.5x">',
      '<img src="data:image/gif;base64,R0lGOD" data-src="lazy.jpg" loading="lazy">',
      '<img src="spacer.gif" data-lazy-src="lazy2.jpg">',
      '<img data-original="lazy3.jpg">',
      '<img src="a.png">',
      '<img src="data:image/png;base64,iVBOR">',
    ].join("");
    const found = findImages(html, "https://example.org/posts/1/");
    assert.deepEqual(found.urls, [
      "https://example.org/posts/1/a.png",
      "https://example.org/abs-path.png",
      "https://cdn.example.org/b.jpg",
      "https://example.org/posts/1/l.jpg",
      "https://example.org/posts/1/two.png",
      "https://example.org/posts/1/lazy.jpg",
      "https://example.org/posts/1/lazy2.jpg",
      "https://example.org/posts/1/lazy3.jpg",
    ]);
    assert.doesNotMatch(found.html, /srcset|data-src|data-lazy-src|data-original|sizes=|loading=/);
    assert.match(found.html, /<img src="https:\/\/example\.org\/posts\/1\/l\.jpg">/);
    assert.match(found.html, /<img src="data:image\/png;base64,iVBOR">/, "data: images stay as they are");
  });

  test("<base href> wins over the entry URL, and links are made absolute too", () => {
    const found = findImages(
      '<base href="https://other.example/media/"><a href="page.html"><img src="x.png"></a>',
      "https://example.org/",
    );
    assert.deepEqual(found.urls, ["https://other.example/media/x.png"]);
    assert.match(found.html, /href="https:\/\/other\.example\/media\/page\.html"/);
    assert.doesNotMatch(found.html, /<base/);
  });

  test("<picture> sources are dropped in favour of the <img>", () => {
    const found = findImages(
      '<picture><source srcset="big.webp" type="image/webp"><img src="pic.jpg"></picture>',
      "https://e.org/",
    );
    assert.deepEqual(found.urls, ["https://e.org/pic.jpg"]);
    assert.doesNotMatch(found.html, /<source/);
  });

  test("scripts, frames, plugins, on* handlers and javascript: URLs are removed", () => {
    const found = findImages(
      [
        '<p onclick="steal()" onmouseover="x()">Hi</p>',
        "<script>alert(1)</script>",
        '<iframe src="https://evil.example/"></iframe>',
        '<object data="x.swf"></object><embed src="y.swf">',
        '<a href=" java\tscript:alert(1)">link</a>',
        '<img src="javascript:alert(1)" onerror="alert(2)">',
        '<a href="https://ok.example/">ok</a>',
      ].join(""),
      "https://example.org/",
    );
    assert.doesNotMatch(found.html, /script|iframe|object|embed|onclick|onmouseover|onerror|alert/i);
    assert.match(found.html, /<p>Hi<\/p>/);
    assert.match(found.html, /<a href="https:\/\/ok\.example\/">ok<\/a>/);
    assert.deepEqual(found.urls, []);
  });

  test("srcset parsing keeps commas inside URLs and picks the widest, else the densest", () => {
    const c = parseSrcset(
      "https://img.example/w_100,h_50/a.jpg 100w, https://img.example/w_900,h_450/a.jpg 900w",
    );
    assert.deepEqual(c.map((x) => x.url), [
      "https://img.example/w_100,h_50/a.jpg",
      "https://img.example/w_900,h_450/a.jpg",
    ]);
    assert.equal(bestCandidate(c)?.url, "https://img.example/w_900,h_450/a.jpg");
    assert.equal(bestCandidate(parseSrcset("a.png 1x, b.png 3x, c.png 2x"))?.url, "b.png");
  });

  test("rewriteImageRefs points only the given URLs at cid: parts", () => {
    const html =
      '<img src="https://e.org/a.png"><img src="https://e.org/b.png"><img src="https://e.org/a.png">';
    const out = rewriteImageRefs(html, { "https://e.org/a.png": "img.1@sluice" });
    assert.equal(
      out,
      '<img src="cid:img.1@sluice"><img src="https://e.org/b.png"><img src="cid:img.1@sluice">',
    );
  });

  test("findImages runs in the worker pool", async () => {
    const pool = new WorkerPool({ size: 1 });
    try {
      const found = await pool.run<{ html: string; urls: string[] }>(FIND_IMAGES_TASK, [
        '<img src="a.png">',
        "https://e.org/",
      ]);
      assert.deepEqual(found.urls, ["https://e.org/a.png"]);
    } finally {
      await pool.close();
    }
  });
});

describe("sniffImageType", () => {
  test("recognises each supported type from its bytes", () => {
    const cases: Array<[Uint8Array, string | undefined]> = [
      [PNG, "image/png"],
      [bytes([0xff, 0xd8, 0xff, 0xe0, 0, 0x10], "JFIF"), "image/jpeg"],
      [GIF, "image/gif"],
      [bytes("RIFF", [0x24, 0, 0, 0], "WEBPVP8 "), "image/webp"],
      [bytes([0, 0, 0, 0x1c], "ftypavif", [0, 0, 0, 0], "avifmif1miaf"), "image/avif"],
      [bytes([0, 0, 0, 0x1c], "ftypmif1", [0, 0, 0, 0], "mif1avifmiaf"), "image/avif"],
      [bytes("BM", [0x3a, 0, 0, 0, 0, 0, 0, 0, 0x36, 0, 0, 0, 0x28, 0, 0, 0]), "image/bmp"],
      [bytes([0, 0, 1, 0, 1, 0, 16, 16]), "image/x-icon"],
      [SVG, "image/svg+xml"],
      [new TextEncoder().encode("\uFEFF<!-- c --><!DOCTYPE svg><svg width='1'></svg>"), "image/svg+xml"],
      [new TextEncoder().encode("<!DOCTYPE html><html><body>404</body></html>"), undefined],
      [bytes([0, 0, 0, 0x18], "ftypheic", [0, 0, 0, 0], "mif1heic"), undefined],
      [bytes("BMP is a format"), undefined],
      [new Uint8Array(0), undefined],
    ];
    for (const [data, expected] of cases) assert.equal(sniffImageType(data)?.contentType, expected);
  });
});

describe("ImageCache and rewriteEntryImages", () => {
  test("each distinct image is fetched once across 20 concurrent entries", async () => {
    const held: http.ServerResponse[] = [];
    server.route("/shared.png", (_req, res) => void held.push(res));
    const cache = new ImageCache();
    const items = Array.from(
      { length: 20 },
      (_, i) =>
        entryItem(
          `<p>${i}</p><img src="/shared.png"><img src="/pic/${i % 5}.png"><img src="../../shared.png">`,
        ),
    );
    const pending = items.map((item) => rewriteEntryImages(item, cache));
    await server.waitForHits("/shared.png", 1);
    // The shared image is still in flight: every other entry must be waiting on that same request.
    assert.equal(cache.stats.hits, 19 + 15);
    for (const res of held.splice(0)) res.writeHead(200, { "content-type": "image/png" }).end(PNG);
    const out = await Promise.all(pending);

    assert.equal(server.hits("/shared.png"), 1);
    for (let i = 0; i < 5; i++) assert.equal(server.hits(`/pic/${i}.png`), 1);
    assert.deepEqual(cache.stats, { fetched: 6, failed: 0, hits: 34, bytes: 6 * PNG.byteLength, evicted: 0 });
    for (const item of out) {
      assert.equal(item.images.length, 2);
      assert.deepEqual(
        cidRefs(item.html!).sort(),
        [...item.images.map((i) => i.cid), item.images[0].cid].sort(),
      );
    }
  });

  test("the cache keeps at most `cacheBytes` of images, dropping the least recently used", async () => {
    const cache = new ImageCache({ cacheBytes: 2 * PNG.byteLength });
    for (let i = 0; i < 3; i++) server.route(`/lru/${i}.png`, image(PNG, "image/png"));
    await cache.get(server.url("/lru/0.png"));
    await cache.get(server.url("/lru/1.png"));
    await cache.get(server.url("/lru/0.png")); // 0 is now the most recently used
    await cache.get(server.url("/lru/2.png")); // over the bound: 1 goes
    assert.equal(cache.stats.evicted, 1);
    await cache.get(server.url("/lru/0.png"));
    assert.equal(server.hits("/lru/0.png"), 1, "a recently used image was dropped");
    await cache.get(server.url("/lru/1.png"));
    assert.equal(server.hits("/lru/1.png"), 2, "the least recently used image was kept");
  });

  test("cid references in the HTML match the attached images, which carry sniffed types and names", async () => {
    const cache = new ImageCache();
    const item = entryItem(
      '<img src="/wrong-type"><img src="/anim.gif"><img src="/drawing.svg"><img src="https://127.0.0.1:1/x.png">',
    );
    item.entry.link = undefined; // base falls back to the feed URL
    const out = await rewriteEntryImages(item, cache);
    const byUrl = Object.fromEntries(out.images.map((i) => [i.url, i]));
    assert.equal(
      byUrl[server.url("/wrong-type")].contentType,
      "image/png",
      "sniffed, not the server's text/html",
    );
    assert.equal(byUrl[server.url("/wrong-type")].filename, "wrong-type.png");
    assert.equal(byUrl[server.url("/anim.gif")].contentType, "image/gif");
    assert.equal(byUrl[server.url("/drawing.svg")].contentType, "image/svg+xml");
    for (const image of out.images) {
      assert.equal(image.cid, cidForUrl(image.url));
      assert.match(image.cid, /^img\.[0-9a-f]{16}@sluice$/);
    }
    assert.deepEqual(cidRefs(out.html!).sort(), out.images.map((i) => i.cid).sort());
    assert.deepEqual(new Uint8Array(byUrl[server.url("/wrong-type")].content), PNG);
  });

  test("a 404, a non-image, an oversized and a silent image stay remote links and count as failed", async () => {
    const failures: string[] = [];
    const cache = new ImageCache({
      maxBytes: 1024,
      // Long enough that the images that do answer are never cut off on a loaded machine (at 100 ms the
      // 404 and the logo timed out under Bun at load 10); the silent one takes all of it.
      timeoutMs: 1_000,
      onFailure: (url, why) => failures.push(`${url} ${why}`),
    });
    const item = entryItem(
      '<img src="/missing.png"><img src="/fake.png"><img src="/huge.png"><img src="/silent.png"><img src="/logo.png">',
    );
    const out = await rewriteEntryImages(item, cache);
    assert.deepEqual(out.images.map((i) => i.url), [server.url("/logo.png")]);
    for (const path of ["/missing.png", "/fake.png", "/huge.png", "/silent.png"]) {
      assert.match(out.html!, new RegExp(`<img src="${server.url(path)}">`));
    }
    assert.equal(cidRefs(out.html!).length, 1);
    assert.equal(cache.stats.failed, 4);
    assert.equal(cache.stats.fetched, 1);
    assert.equal(failures.length, 4);
    assert.ok(failures.some((f) => /missing\.png HTTP 404/.test(f)), failures.join("\n"));
    assert.ok(failures.some((f) => /silent\.png timeout after 1 s/.test(f)), failures.join("\n"));
    // A failed image is not requested again by the next entry.
    await rewriteEntryImages(entryItem('<img src="/missing.png">'), cache);
    assert.equal(server.hits("/missing.png"), 1);
  });

  test("the HTML falls back to the summary; an entry without HTML comes back as it was", async () => {
    const cache = new ImageCache();
    const out = await rewriteEntryImages(
      entryItem(undefined as unknown as string, { summary: '<img src="/logo.png">' }),
      cache,
    );
    assert.equal(out.images.length, 1);
    assert.equal(out.html, `<img src="cid:${cidForUrl(server.url("/logo.png"))}">`);
    const bare = entryItem(undefined as unknown as string);
    assert.equal(await rewriteEntryImages(bare, cache), bare);
  });

  test("through the stage: a parsed entry's media images are attached when its HTML has none", async () => {
    const xml = '<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel>' +
      `<item><guid>m1</guid><link>${server.url("/posts/m1")}</link><description>No picture</description>` +
      '<media:thumbnail url="/pic/3.png"/></item>' +
      '<item><guid>m2</guid><description>&lt;img src="/logo.png"&gt;</description>' +
      '<media:thumbnail url="/pic/4.png"/></item></channel></rss>';
    const feed = parseFeed(new TextEncoder().encode(xml), { url: server.url("/feed.xml") });
    assert.deepEqual(feed.entries[0].images, [server.url("/pic/3.png")]);
    const items: EntryItem[] = feed.entries.map((entry) => ({
      feed: { url: server.url("/feed.xml"), folder: "News" },
      entry,
      images: [],
    }));
    const out: EntryItem[] = [];
    const p = pipeline(fromIterable(items)).pipe(rewriteImages()).to(sink((item: EntryItem) => {
      out.push(item);
    }));
    const summary = await runPipeline(p, {
      logger: silentLogger,
      measureLag: false,
      placementOverride: "loop",
    });
    assert.ok(summary.ok);
    const [withMedia, withOwn] = out.sort((a, b) => a.entry.id.localeCompare(b.entry.id));
    assert.deepEqual(withMedia.images.map((i) => i.url), [server.url("/pic/3.png")]);
    assert.match(withMedia.html!, /^No picture<p><img src="cid:[^"]+" alt=""><\/p>$/);
    // The HTML shows an image of its own: the thumbnail is not added.
    assert.deepEqual(withOwn.images.map((i) => i.url), [server.url("/logo.png")]);
    assert.doesNotMatch(withOwn.html!, /pic\/4/);
  });

  test("an aborted entry rejects with the signal's reason", async () => {
    const cache = new ImageCache({ timeoutMs: 5_000 });
    const controller = new AbortController();
    const pending = rewriteEntryImages(entryItem('<img src="/silent.png">'), cache, controller.signal);
    await server.waitForHits("/silent.png", server.hits("/silent.png") + 1);
    controller.abort(new Error("run cancelled"));
    await assert.rejects(pending, /run cancelled/);
    // The request itself goes on for other entries: answer it, and the cache has the image.
    for (const res of stalled.splice(0)) res.writeHead(200).end(PNG);
    assert.equal((await cache.get(server.url("/silent.png")))?.contentType, "image/png");
  });

  test("no more than `concurrency` image requests are in flight", async () => {
    const held: http.ServerResponse[] = [];
    let holding = true;
    const host = await startServer();
    for (let i = 0; i < 5; i++) {
      host.route(`/h/${i}.png`, (_req, res) => {
        if (holding) held.push(res);
        else res.end(PNG);
      });
    }
    try {
      const cache = new ImageCache({ concurrency: 2 });
      const all = Array.from({ length: 5 }, (_, i) => cache.get(host.url(`/h/${i}.png`)));
      await host.waitFor(() => held.length === 2);
      // A full round trip elsewhere while two are held: a leaking limit would have let the rest arrive.
      assert.ok(await new ImageCache().get(server.url("/logo.png")));
      assert.equal(host.hits(), 2);
      holding = false;
      for (const res of held) res.end(PNG);
      assert.equal((await Promise.all(all)).filter(Boolean).length, 5);
      assert.equal(host.maxInFlight, 2);
    } finally {
      await host.close();
    }
  });

  test("file names come from the URL path with the sniffed extension", () => {
    assert.equal(filenameForUrl("https://e.org/p/Photo%201.JPG?w=5", "jpg"), "Photo_1.jpg");
    assert.equal(filenameForUrl("https://e.org/", "png"), "image.png");
    assert.equal(filenameForUrl("https://e.org/image.php?id=4", "gif"), "image.gif");
  });
});
