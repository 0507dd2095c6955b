/**
 * Fetches entry images once per run: many entries of a feed share a logo or an author's avatar, and
 * concurrent entries asking for the same URL share one request. A failed image is remembered too, so it
 * is not retried by every entry, and it never fails the entry: it just stays a remote link.
 * @module
 */
import { redactUrl } from "../../engine/errors.ts";
import { Deadline } from "../http/deadline.ts";
import type { HostLimiter } from "../http/host_limiter.ts";
import { readLimited } from "../http/read_limited.ts";
import { Semaphore } from "../../engine/kernel/semaphore.ts";
import { SLUICE_USER_AGENT } from "../http/user_agent.ts";
import { cidForUrl, filenameForUrl } from "./inline_name.ts";
import { sniffImageType } from "./sniff.ts";

/**
 * An image fetched once and attached inline to a message as a `cid:` part.
 *
 * @example
 * ```ts
 * const image: InlineImage = { cid: "img1.3f2a@sluice", url: "https://example.org/cat.png",
 *   contentType: "image/png", filename: "cat.png", content: new Uint8Array() };
 * ```
 */
export interface InlineImage {
  /** Content-ID without angle brackets, e.g. `img1.3f2a@sluice`. */
  cid: string;
  /** Original absolute URL. */
  url: string;
  /** Sniffed from bytes, e.g. `image/png`. */
  contentType: string;
  /** File name for the MIME part, derived from the URL's path with an extension matching `contentType`. */
  filename: string;
  /** The image bytes as downloaded. */
  content: Uint8Array;
}

/**
 * Options of `ImageCache`.
 *
 * @example
 * ```ts
 * const opts: ImageCacheOptions = { concurrency: 8, maxBytes: 2 * 1024 * 1024 };
 * ```
 */
export interface ImageCacheOptions {
  /** Image requests in flight at once (default 512). */
  concurrency?: number;
  /** Largest image inlined, in bytes (default 5 MB); larger ones stay remote links. */
  maxBytes?: number;
  /** Ms one image may take, headers and body (default 20 000). */
  timeoutMs?: number;
  /** User-Agent header (default sluice's). */
  userAgent?: string;
  /** The run's signal: aborting it cancels every image request of this cache. */
  signal?: AbortSignal;
  /** Also hold a per-host permit of this limiter per request (e.g. the feed fetcher's, to be polite). */
  limiter?: HostLimiter;
  /** Told why an image was not inlined (URL redacted), e.g. to log it. */
  onFailure?: (url: string, reason: string) => void;
  /**
   * Bytes of fetched images kept for reuse (default 8 MiB, room for the logos and avatars entries share;
   * a larger cache mostly holds one-off images that are never asked for again): past it the least
   * recently used are dropped, so memory stays flat however many feeds a run reads (a dropped image
   * asked for again is fetched again).
   */
  cacheBytes?: number;
}

/**
 * The defaults of `ImageCacheOptions`. Twice the `rewrite-images` stage's 256 entries in flight, so
 * entries with two images (W1) fetch them all in one wave, not two.
 *
 * @example
 * ```ts
 * import { DEFAULT_IMAGE_CACHE_OPTIONS } from "./image_cache.ts";
 * DEFAULT_IMAGE_CACHE_OPTIONS.maxBytes; // 5242880 (5 MB)
 * ```
 */
export const DEFAULT_IMAGE_CACHE_OPTIONS: Readonly<{
  concurrency: number;
  maxBytes: number;
  timeoutMs: number;
  cacheBytes: number;
}> = Object.freeze({
  concurrency: 512,
  maxBytes: 5 * 1024 * 1024,
  timeoutMs: 20_000,
  cacheBytes: 8 * 1024 * 1024,
});

/**
 * Counters of one cache: `fetched` images inlined, `failed` URLs (HTTP error, timeout, too large, not an
 * image), `hits` requests answered from the cache or an in-flight request, `bytes` inlined, and
 * `evicted` images dropped to keep within `cacheBytes`.
 *
 * @example
 * ```ts
 * const s: ImageCacheStats = { fetched: 3, failed: 1, hits: 17, bytes: 48_211, evicted: 0 };
 * ```
 */
export interface ImageCacheStats {
  /** Images downloaded and accepted for inlining (each URL counted once per download). */
  fetched: number;
  /** URLs that could not be inlined: HTTP error, timeout, too large or not an image. */
  failed: number;
  /** Requests answered from the cache or by joining a download already in flight. */
  hits: number;
  /** Total size in bytes of the images fetched (cache hits not counted again). */
  bytes: number;
  /** Images dropped from the cache to stay within `cacheBytes` (fetched again if asked for). */
  evicted: number;
}

const ACCEPT =
  "image/avif, image/webp, image/png, image/jpeg, image/gif, image/svg+xml, image/*;q=0.8, */*;q=0.5";

/**
 * Fetches each distinct image URL at most once for its lifetime (one run), sniffs its type from the bytes
 * and names it deterministically (`cid` from the URL's hash, filename from its path). `get` never rejects:
 * anything that keeps an image from being inlined resolves to undefined and counts as `failed`.
 *
 * @example
 * ```ts
 * import { ImageCache } from "./image_cache.ts";
 * import { makePng } from "../../tests/support/png_image.ts";
 * import { startServer } from "../../tests/support/http_server.ts";
 * const server = await startServer({ "/logo.png": (_req, res) => res.end(makePng("logo", 2000)) });
 * const cache = new ImageCache({ concurrency: 8 });
 * const image = await cache.get(server.url("/logo.png"));
 * if (image) console.log(image.cid, image.contentType, image.content.byteLength);
 * await cache.get(server.url("/logo.png")); // fetched once: this one is a hit
 * console.log(cache.stats); // { fetched: 1, failed: 0, hits: 1, bytes: ... }
 * await server.close();
 * ```
 */
export class ImageCache {
  readonly #entries = new Map<string, Promise<InlineImage | undefined>>();
  /** Byte sizes of the images held, oldest use first (Map order), for the memory bound. */
  readonly #held = new Map<string, number>();
  #heldBytes = 0;
  readonly #cacheBytes: number;
  readonly #permits: Semaphore;
  readonly #maxBytes: number;
  readonly #timeoutMs: number;
  readonly #userAgent: string;
  readonly #signal?: AbortSignal;
  readonly #limiter?: HostLimiter;
  readonly #onFailure?: (url: string, reason: string) => void;
  readonly #stats: ImageCacheStats = { fetched: 0, failed: 0, hits: 0, bytes: 0, evicted: 0 };

  /**
   * An empty cache; nothing is fetched until `get` is called.
   * @param opts limits and the run's signal; see `ImageCacheOptions` for the defaults
   */
  constructor(opts: ImageCacheOptions = {}) {
    const d = DEFAULT_IMAGE_CACHE_OPTIONS;
    this.#permits = new Semaphore(opts.concurrency ?? d.concurrency);
    this.#maxBytes = opts.maxBytes ?? d.maxBytes;
    this.#cacheBytes = opts.cacheBytes ?? d.cacheBytes;
    this.#timeoutMs = opts.timeoutMs ?? d.timeoutMs;
    this.#userAgent = opts.userAgent ?? SLUICE_USER_AGENT;
    this.#signal = opts.signal;
    this.#limiter = opts.limiter;
    this.#onFailure = opts.onFailure;
  }

  /** A snapshot of the counters. */
  get stats(): ImageCacheStats {
    return { ...this.#stats };
  }

  /**
   * The inline image for `url`, or undefined when it cannot be inlined. The first call starts the
   * request; later and concurrent calls share it. `signal` only stops this caller waiting (the request
   * goes on for the others); it resolves undefined then.
   */
  get(url: string, signal?: AbortSignal): Promise<InlineImage | undefined> {
    let entry = this.#entries.get(url);
    if (entry) {
      this.#stats.hits++;
      const size = this.#held.get(url);
      if (size !== undefined) {
        // Most recently used goes last.
        this.#held.delete(url);
        this.#held.set(url, size);
      }
    } else {
      this.#entries.set(url, entry = this.#load(url));
      entry.then((image) => image && this.#hold(url, image.content.byteLength));
    }
    return signal ? untilAborted(entry, signal) : entry;
  }

  async #load(url: string): Promise<InlineImage | undefined> {
    if (!/^https?:\/\//i.test(url)) return this.#fail(url, "not an http(s) URL");
    let releaseHost: (() => void) | undefined;
    try {
      await this.#permits.acquire({ signal: this.#signal });
    } catch {
      return this.#fail(url, "cancelled");
    }
    try {
      releaseHost = await this.#limiter?.acquire(url, this.#signal);
    } catch {
      this.#permits.release();
      return this.#fail(url, "cancelled");
    }
    const deadline = new Deadline({
      headersMs: this.#timeoutMs,
      totalMs: this.#timeoutMs,
      signal: this.#signal,
    });
    try {
      const response = await fetch(url, {
        headers: { "user-agent": this.#userAgent, "accept": ACCEPT },
        signal: deadline.signal,
      });
      if (!response.ok) {
        await response.body?.cancel().catch(() => {});
        return this.#fail(url, `HTTP ${response.status}`);
      }
      const content = await readLimited(response, this.#maxBytes);
      const type = sniffImageType(content);
      if (!type) {
        return this.#fail(url, `not an image (Content-Type ${response.headers.get("content-type")})`);
      }
      this.#stats.fetched++;
      this.#stats.bytes += content.byteLength;
      return {
        cid: cidForUrl(url),
        url,
        contentType: type.contentType,
        filename: filenameForUrl(url, type.extension),
        content,
      };
    } catch (e) {
      const reason = deadline.timedOut
        ? `timeout after ${this.#timeoutMs / 1000} s`
        : e instanceof Error
        ? e.message
        : String(e);
      return this.#fail(url, reason);
    } finally {
      deadline.dispose();
      releaseHost?.();
      this.#permits.release();
    }
  }

  /** Keeps the bytes of at most `cacheBytes` of images: the least recently used are dropped first. */
  #hold(url: string, size: number): void {
    this.#held.set(url, size);
    this.#heldBytes += size;
    for (const [old, oldSize] of this.#held) {
      if (this.#heldBytes <= this.#cacheBytes || old === url) break;
      this.#held.delete(old);
      this.#entries.delete(old);
      this.#heldBytes -= oldSize;
      this.#stats.evicted++;
    }
  }

  #fail(url: string, reason: string): undefined {
    this.#stats.failed++;
    this.#onFailure?.(redactUrl(url), reason);
    return undefined;
  }
}

/** `promise`, or undefined as soon as `signal` aborts (without leaving a listener behind). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const onAbort = () => resolve(undefined);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then((value) => {
      signal.removeEventListener("abort", onAbort);
      resolve(value);
    });
  });
}
