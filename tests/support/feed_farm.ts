/**
 * The project's feed farm: a deterministic feed server on 127.0.0.1 for tests and `bench/`. It serves
 * the workload shapes of the shared RSS-to-IMAP harness (RSS 2.0 / Atom 1.0 / RSS 1.0 / JSON Feed 1.1,
 * entries with absolute, root-relative, `srcset` and `data-src` images, ETag + Last-Modified with 304s,
 * added latency, `/feeds.txt`, `/opml.xml`, `/stats`), plus hooks tests need: adding entries to a feed,
 * failing feeds, and the exact bytes of every image.
 *
 * Endpoints: `/feeds/fNNNN.{rss,atom,rdf,json}`, `/img/fNNNN/eNNNN-K.png` (and `-K@2x.png`),
 * `/post/fNNNN/eNNNN`, `/site/fNNNN/`, `/feeds.txt`, `/opml.xml`, `/stats` (JSON counters, no latency,
 * not counted), `/stats/reset`.
 * @module
 */
import http from "node:http";
import type { Socket } from "node:net";
import { gzipSync } from "node:zlib";
import { createHash } from "node:crypto";
import { Buffer } from "node:buffer";
import { makePng, seededRandom } from "./png_image.ts";
import {
  type FarmContentConfig,
  type FarmEntry,
  farmEntry,
  type FeedFormat,
  feedTitle,
  FORMAT_CONTENT_TYPE,
  FORMAT_EXTENSION,
  FORMAT_ROTATION,
  OPML_FOLDERS,
  pad,
  renderFeed,
  renderOpml,
} from "./feed_farm_content.ts";

export type { FarmEntry, FeedFormat } from "./feed_farm_content.ts";

/**
 * How a failing feed misbehaves: HTTP 500, a truncated document (200), an HTML page instead of a feed
 * (200 `text/html`), or no answer at all until the client gives up or the farm closes.
 */
export type FailMode = "500" | "malformed" | "html" | "hang";

/**
 * Options of {@link startFeedFarm}.
 *
 * @example
 * ```ts
 * const o: FeedFarmOptions = { feeds: 25, entries: 20, images: 2, latencyMs: 150 };
 * ```
 */
export interface FeedFarmOptions {
  /** Number of feeds. Default 5. */
  feeds?: number;
  /** Entries per feed at start. Default 10. */
  entries?: number;
  /** Images per entry. Default 1. */
  images?: number;
  /** Delay before every answer (except `/stats`), in ms. Default 0. */
  latencyMs?: number;
  /** Seed of all generated content. Default 1. */
  seed?: number | string;
  /** Formats cycled over the feeds. Default: the harness rotation (40% RSS 2.0, 30% Atom, 15% RSS 1.0, 15% JSON). */
  formats?: readonly FeedFormat[];
  /** Feeds (0-based, as in `feedUrls`) that fail, and how. */
  failing?: ReadonlyArray<{ feed: number; mode: FailMode }>;
  /** Gzip feed documents when the client accepts it. Default true. */
  gzip?: boolean;
}

/**
 * Request counters since start or the last `resetCounters()`. The object is live: it is updated in place.
 *
 * @example
 * ```ts
 * // farm.counters.notModified after a second, conditional run equals the number of feeds
 * ```
 */
export interface FeedFarmCounters {
  /** Every request except `/stats`. */
  requests: number;
  feedRequests: number;
  /** Feed requests answered 200 with the feed. */
  feedOk: number;
  /** Feed requests that carried If-None-Match or If-Modified-Since. */
  conditionalRequests: number;
  /** Feed requests answered 304. */
  notModified: number;
  /** Requests to failing feeds (any mode). */
  failed: number;
  imageRequests: number;
  otherRequests: number;
  notFound: number;
  gzipResponses: number;
  /** Body bytes sent. */
  bytes: number;
  /** Requests being handled right now (includes the latency wait). */
  inFlight: number;
  /** Highest `inFlight` seen. */
  maxConcurrent: number;
}

/**
 * A running feed farm.
 *
 * @example
 * ```ts
 * import { startFeedFarm } from "./feed_farm.ts";
 * const farm = await startFeedFarm({ feeds: 2, entries: 3 });
 * const res = await fetch(farm.feedUrls[0]);
 * await res.body?.cancel();
 * await farm.close();
 * ```
 */
export interface FeedFarm {
  /** `http://127.0.0.1:PORT` (no trailing slash). */
  readonly baseUrl: string;
  /** One URL per feed; index `i` is feed `i` of every per-feed method. */
  readonly feedUrls: string[];
  readonly feedFormats: FeedFormat[];
  readonly feedTitles: string[];
  /** The OPML folder of each feed (`News`, `Tech`, `Tech/Blogs`, `Culture`). */
  readonly feedFolders: string[];
  /** The content of `/feeds.txt`: one feed URL a line. */
  readonly feedListText: string;
  /** The content of `/opml.xml`: OPML 2.0 with feeds in nested folder outlines. */
  readonly opmlText: string;
  readonly counters: FeedFarmCounters;
  /**
   * Resolves once `predicate(counters)` holds, checked after every answer: lets a test wait for the farm
   * to have seen a request (e.g. a hanging one) without polling. Bounded: rejects, with the counters,
   * when the predicate does not hold within `timeoutMs` (default 100 s, under the 120 s a test may take)
   * or when the farm closes first.
   */
  until(predicate: (counters: FeedFarmCounters) => boolean, timeoutMs?: number): Promise<void>;
  /** Zeroes the counters (in place; `inFlight` keeps counting what is still running). */
  resetCounters(): void;
  /** Current number of entries of feed `i`. */
  entryCount(i: number): number;
  /** Sets the number of entries of feed `i`; entries keep their ids, new ones are newer. */
  setFeedEntries(i: number, n: number): void;
  /** Adds `count` (default 1) newer entries to feed `i`; returns the new entry count. */
  bump(i: number, count?: number): number;
  /** The entries feed `i` currently serves, oldest first. */
  feedEntries(i: number): FarmEntry[];
  /** The bytes the farm serves at an image URL (absolute or a farm path); undefined when none. */
  imageBytes(url: string): Uint8Array | undefined;
  /** Stops listening, cancels pending (delayed or hanging) answers and closes every connection. */
  close(): Promise<void>;
}

interface RenderedFeed {
  body: Buffer;
  gzipped?: Buffer;
  etag: string;
  lastModified: Date;
}

/**
 * Starts a feed farm on 127.0.0.1 (a free port).
 *
 * @param options sizes, latency, seed, formats, failing feeds
 * @returns the running farm; call `close()` when done
 *
 * @example
 * ```ts
 * import { startFeedFarm } from "./feed_farm.ts";
 * const farm = await startFeedFarm({ feeds: 25, entries: 20, images: 2, latencyMs: 150 });
 * console.log(farm.feedListText.split("\n")[0]);
 * await farm.close();
 * ```
 */
export async function startFeedFarm(options: FeedFarmOptions = {}): Promise<FeedFarm> {
  const feeds = checkCount("feeds", options.feeds ?? 5, 1);
  const images = checkCount("images", options.images ?? 1, 0);
  const latencyMs = options.latencyMs ?? 0;
  if (!(latencyMs >= 0)) throw new RangeError(`feed farm: latencyMs must be >= 0, got ${latencyMs}`);
  const entryCounts = new Array<number>(feeds).fill(checkCount("entries", options.entries ?? 10, 0));
  const rotation = options.formats?.length ? options.formats : FORMAT_ROTATION;
  const formats = Array.from({ length: feeds }, (_, i) => rotation[i % rotation.length]);
  const failing = new Map<number, FailMode>();
  for (const { feed, mode } of options.failing ?? []) failing.set(checkIndex(feed, feeds), mode);
  const useGzip = options.gzip ?? true;

  const counters = zeroCounters();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const sockets = new Set<Socket>();
  const hanging = new Set<http.ServerResponse>();
  const rendered = new Map<number, RenderedFeed>();
  const imageCache = new Map<string, Uint8Array>();
  interface Waiter {
    predicate: (c: FeedFarmCounters) => boolean;
    resolve: () => void;
    reject: (e: Error) => void;
    timer: ReturnType<typeof setTimeout>;
  }
  const waiters = new Set<Waiter>();
  const settle = (w: Waiter, error?: Error) => {
    waiters.delete(w);
    clearTimeout(w.timer);
    if (error) w.reject(error);
    else w.resolve();
  };
  const notify = () => {
    for (const w of waiters) if (w.predicate(counters)) settle(w);
  };

  const server = http.createServer((req, res) => handle(req, res));
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  const baseUrl = `http://127.0.0.1:${port}`;
  const content: FarmContentConfig = { seed: String(options.seed ?? 1), baseUrl, images };
  const feedUrls = formats.map((format, i) => `${baseUrl}/feeds/f${pad(i + 1)}.${FORMAT_EXTENSION[format]}`);
  const feedTitles = feedUrls.map((_, i) => feedTitle(content, i + 1));
  const feedFolders = feedUrls.map((_, i) => OPML_FOLDERS[i % OPML_FOLDERS.length]);
  const feedListText = feedUrls.join("\n") + "\n";
  const opmlText = renderOpml(feedUrls.map((url, i) => ({
    url,
    title: feedTitles[i],
    folder: feedFolders[i],
    site: `${baseUrl}/site/f${pad(i + 1)}/`,
  })));

  const entriesOf = (i: number) =>
    Array.from({ length: entryCounts[i] }, (_, e) => farmEntry(content, i + 1, e, formats[i]));

  function renderedFeed(i: number): RenderedFeed {
    let r = rendered.get(i);
    if (!r) {
      const entries = entriesOf(i);
      const body = Buffer.from(renderFeed(content, i + 1, formats[i], feedUrls[i], entries));
      const etag = `"${createHash("sha256").update(body).digest("hex").slice(0, 20)}"`;
      const newest = entries[entries.length - 1]?.published ?? new Date(Date.UTC(2025, 0, 1));
      r = { body, etag, lastModified: newest, gzipped: useGzip ? gzipSync(body) : undefined };
      rendered.set(i, r);
    }
    return r;
  }

  function image(path: string): Uint8Array | undefined {
    const m = /^\/img\/f(\d{4})\/e(\d{4})-(\d+)(@2x)?\.png$/.exec(path);
    if (!m) return undefined;
    const [i, e, k] = [Number(m[1]) - 1, Number(m[2]), Number(m[3])];
    if (i < 0 || i >= feeds || e >= entryCounts[i] || k >= images) return undefined;
    let bytes = imageCache.get(path);
    if (!bytes) {
      const r = seededRandom(`${content.seed}:img:${i + 1}:${e}:${k}`);
      const target = 5_000 + Math.floor(r() * 15_000);
      const aspect = [1, 4 / 3, 3 / 2, 16 / 9, 3 / 4][Math.floor(r() * 5)];
      bytes = makePng(`${content.seed}:${path}`, m[4] ? target * 2 : target, aspect);
      imageCache.set(path, bytes);
    }
    return bytes;
  }

  function send(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    status: number,
    headers: Record<string, string>,
    body?: Uint8Array,
  ): void {
    const length = body?.byteLength ?? 0;
    res.writeHead(status, { ...headers, "Content-Length": String(length) });
    if (req.method === "HEAD" || !body) res.end();
    else {
      counters.bytes += length;
      res.end(body);
    }
  }

  function answerFeed(req: http.IncomingMessage, res: http.ServerResponse, i: number): void {
    counters.feedRequests++;
    const mode = failing.get(i);
    if (mode) {
      counters.failed++;
      if (mode === "hang") return void hanging.add(res);
      if (mode === "500") return send(req, res, 500, TEXT, Buffer.from("internal error (simulated)\n"));
      if (mode === "html") return send(req, res, 200, HTML, Buffer.from(HTML_PAGE));
      const body = renderedFeed(i).body;
      const cut = formats[i] === "json" ? '{"broken": ' : "<item><title>broken</titl";
      const broken = Buffer.concat([body.subarray(0, Math.floor(body.length * 0.6)), Buffer.from(cut)]);
      return send(req, res, 200, { "Content-Type": FORMAT_CONTENT_TYPE[formats[i]] }, broken);
    }
    const feed = renderedFeed(i);
    const gzip = feed.gzipped && /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""));
    const etag = gzip ? feed.etag.replace(/"$/, '-gz"') : feed.etag;
    const headers: Record<string, string> = {
      "Content-Type": FORMAT_CONTENT_TYPE[formats[i]],
      "ETag": etag,
      "Last-Modified": feed.lastModified.toUTCString(),
      "Cache-Control": "max-age=0",
      "Vary": "Accept-Encoding",
    };
    const ifNoneMatch = req.headers["if-none-match"];
    const ifModifiedSince = req.headers["if-modified-since"];
    if (ifNoneMatch || ifModifiedSince) counters.conditionalRequests++;
    if (notModified(feed, ifNoneMatch, ifModifiedSince)) {
      counters.notModified++;
      return send(req, res, 304, headers);
    }
    counters.feedOk++;
    if (gzip) {
      counters.gzipResponses++;
      headers["Content-Encoding"] = "gzip";
    }
    send(req, res, 200, headers, gzip ? feed.gzipped : feed.body);
  }

  function answer(req: http.IncomingMessage, res: http.ServerResponse, path: string): void {
    let m = /^\/feeds\/f(\d{4})\.(\w+)$/.exec(path);
    if (m) {
      const i = Number(m[1]) - 1;
      if (i >= 0 && i < feeds && FORMAT_EXTENSION[formats[i]] === m[2]) return answerFeed(req, res, i);
    }
    if (path.startsWith("/img/")) {
      counters.imageRequests++;
      const bytes = image(path);
      if (bytes) {
        const etag = `"${createHash("sha256").update(bytes).digest("hex").slice(0, 16)}"`;
        return send(req, res, 200, {
          "Content-Type": "image/png",
          "Cache-Control": "max-age=86400",
          "ETag": etag,
        }, bytes);
      }
    } else counters.otherRequests++;
    if (path === "/feeds.txt") return send(req, res, 200, TEXT, Buffer.from(feedListText));
    if (path === "/opml.xml") {
      return send(req, res, 200, { "Content-Type": "text/x-opml; charset=utf-8" }, Buffer.from(opmlText));
    }
    if ((m = /^\/post\/f(\d{4})\/e(\d{4})$/.exec(path))) {
      const page = `<!doctype html><title>post f${m[1]} e${m[2]}</title><p>Entry ${m[2]} of feed ${
        m[1]
      }.</p>\n`;
      return send(req, res, 200, HTML, Buffer.from(page));
    }
    if (path === "/" || path.startsWith("/site/")) return send(req, res, 200, HTML, Buffer.from(HTML_PAGE));
    counters.notFound++;
    send(req, res, 404, TEXT, Buffer.from("not found\n"));
  }

  function handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/stats" || path === "/stats/reset") {
      if (path === "/stats/reset") resetCounters();
      return send(
        req,
        res,
        200,
        { "Content-Type": "application/json", "Cache-Control": "no-store" },
        Buffer.from(JSON.stringify(counters)),
      );
    }
    counters.requests++;
    counters.inFlight++;
    counters.maxConcurrent = Math.max(counters.maxConcurrent, counters.inFlight);
    let timer: ReturnType<typeof setTimeout> | undefined;
    res.once("close", () => {
      counters.inFlight--;
      hanging.delete(res);
      if (timer) {
        clearTimeout(timer);
        timers.delete(timer);
      }
    });
    const go = () => {
      if (timer) timers.delete(timer);
      timer = undefined;
      if (!res.destroyed) answer(req, res, path);
      notify();
    };
    if (latencyMs > 0) {
      timer = setTimeout(go, latencyMs);
      timers.add(timer);
    } else go();
  }

  function resetCounters(): void {
    const inFlight = counters.inFlight;
    Object.assign(counters, zeroCounters(), { inFlight, maxConcurrent: inFlight });
  }

  function setFeedEntries(i: number, n: number): void {
    entryCounts[checkIndex(i, feeds)] = checkCount("entries", n, 0);
    rendered.delete(i);
  }

  let closing: Promise<void> | undefined;
  function close(): Promise<void> {
    closing ??= new Promise<void>((resolve) => {
      for (const w of waiters) {
        settle(
          w,
          new Error(`the feed farm closed before the awaited condition held (${JSON.stringify(counters)})`),
        );
      }
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const res of hanging) res.destroy();
      hanging.clear();
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
    return closing;
  }

  return {
    baseUrl,
    feedUrls,
    feedFormats: formats,
    feedTitles,
    feedFolders,
    feedListText,
    opmlText,
    counters,
    until(predicate, timeoutMs = 100_000) {
      if (predicate(counters)) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const waiter: Waiter = {
          predicate,
          resolve,
          reject,
          timer: setTimeout(() =>
            settle(
              waiter,
              new Error(
                `the feed farm waited ${timeoutMs} ms for a condition that did not hold (${
                  JSON.stringify(counters)
                }): ${predicate}`,
              ),
            ), timeoutMs),
        };
        waiters.add(waiter);
      });
    },
    resetCounters,
    entryCount: (i) => entryCounts[checkIndex(i, feeds)],
    setFeedEntries,
    bump(i, count = 1) {
      setFeedEntries(i, entryCounts[checkIndex(i, feeds)] + count);
      return entryCounts[i];
    },
    feedEntries: (i) => entriesOf(checkIndex(i, feeds)),
    imageBytes(url) {
      const path = url.startsWith(baseUrl) ? url.slice(baseUrl.length) : url;
      return image(path.split("?")[0]);
    },
    close,
  };
}

const TEXT = { "Content-Type": "text/plain; charset=utf-8" };
const HTML = { "Content-Type": "text/html; charset=utf-8" };
const HTML_PAGE = `<!doctype html>
<html><head><title>Feed farm</title></head>
<body><h1>Welcome</h1><p>This is a web page, not a feed. See <a href="/feeds.txt">feeds.txt</a>.</p></body></html>
`;

function notModified(
  feed: RenderedFeed,
  ifNoneMatch: string | undefined,
  ifModifiedSince: string | undefined,
): boolean {
  if (ifNoneMatch) {
    // If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2); weak comparison.
    const tags = ifNoneMatch.split(",").map((t) => t.trim().replace(/^W\//, "").replace(/-gz"$/, '"'));
    return tags.includes("*") || tags.includes(feed.etag);
  }
  if (ifModifiedSince) {
    const since = Date.parse(ifModifiedSince);
    return Number.isFinite(since) && since >= Math.floor(feed.lastModified.getTime() / 1000) * 1000;
  }
  return false;
}

function zeroCounters(): FeedFarmCounters {
  return {
    requests: 0,
    feedRequests: 0,
    feedOk: 0,
    conditionalRequests: 0,
    notModified: 0,
    failed: 0,
    imageRequests: 0,
    otherRequests: 0,
    notFound: 0,
    gzipResponses: 0,
    bytes: 0,
    inFlight: 0,
    maxConcurrent: 0,
  };
}

function checkCount(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`feed farm: ${name} must be an integer >= ${min}, got ${value}`);
  }
  return value;
}

function checkIndex(i: number, feeds: number): number {
  if (!Number.isInteger(i) || i < 0 || i >= feeds) {
    throw new RangeError(`feed farm: feed index ${i} is outside 0..${feeds - 1}`);
  }
  return i;
}
