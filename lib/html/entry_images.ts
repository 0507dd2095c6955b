/**
 * Turns an entry's remote images into inline `cid:` parts: find the images in the HTML (sanitising it on
 * the way), fetch each distinct one once per run through an `ImageCache`, attach the ones that arrived and
 * point the HTML at them. Images that fail stay remote links.
 * @module
 */
import type { EntryItem, InlineImage } from "../mime/types.ts";
import type { ImageCache } from "./image_cache.ts";
import { findImages, type FoundImages, rewriteImageRefs } from "./html_images.ts";

/**
 * Where the HTML work runs. The defaults run on the calling thread; the runner can pass functions that
 * send the same work to the worker pool (`FIND_IMAGES_TASK`, `REWRITE_IMAGE_REFS_TASK`).
 *
 * @example
 * ```ts
 * import { WorkerPool } from "../../engine/kernel/worker_pool.ts";
 * import { FIND_IMAGES_TASK, type FoundImages, REWRITE_IMAGE_REFS_TASK } from "./html_images.ts";
 * const pool = new WorkerPool();
 * const onPool: HtmlImageWork = {
 *   findImages: (html, baseUrl) => pool.run<FoundImages>(FIND_IMAGES_TASK, [html, baseUrl]),
 *   rewriteImageRefs: (html, cids) => pool.run<string>(REWRITE_IMAGE_REFS_TASK, [html, cids]),
 * };
 * ```
 */
export interface HtmlImageWork {
  /** Sanitises `html` and lists its distinct http(s) image URLs, resolved against `baseUrl`. */
  findImages(html: string, baseUrl: string): FoundImages | Promise<FoundImages>;
  /** Points every image whose URL is a key of `cids` (URL -> Content-ID) at `cid:<id>`; others stay remote. */
  rewriteImageRefs(html: string, cids: Record<string, string>): string | Promise<string>;
}

const ON_THIS_THREAD: HtmlImageWork = { findImages, rewriteImageRefs };

/**
 * Returns `item` with its HTML sanitised, its images fetched through `cache` and attached as `images`,
 * and their `src` rewritten to `cid:` references. The HTML is `item.html`, else the entry's `html`, else
 * its `summary`; relative URLs resolve against the entry's `base` (its `xml:base`, or the feed's URL after
 * redirects when it has no link), else its link, else the feed URL. An item without HTML comes back
 * unchanged. Rejects only when `signal` aborts (with its reason).
 *
 * @example
 * ```ts
 * import { ImageCache } from "./image_cache.ts";
 * import { rewriteEntryImages } from "./entry_images.ts";
 * const cache = new ImageCache();
 * const item = {
 *   feed: { url: "https://example.org/feed.xml", folder: "News" },
 *   entry: { id: "1", link: "https://example.org/post/1", html: '<img src="cat.png">', enclosures: [] },
 *   images: [],
 * };
 * const out = await rewriteEntryImages(item, cache);
 * out.html; // '<img src="cid:img.…@sluice">' when cat.png arrived, else its absolute URL
 * ```
 */
export async function rewriteEntryImages(
  item: EntryItem,
  cache: ImageCache,
  signal?: AbortSignal,
  work: HtmlImageWork = ON_THIS_THREAD,
): Promise<EntryItem> {
  const html = item.html ?? item.entry.html ?? item.entry.summary;
  if (html === undefined) return item;
  const found = await work.findImages(html, item.entry.base ?? item.entry.link ?? item.feed.url);
  const fetched = await Promise.all(found.urls.map((url) => cache.get(url, signal)));
  signal?.throwIfAborted();
  const images = fetched.filter((image): image is InlineImage => image !== undefined);
  const cids = Object.fromEntries(images.map((image) => [image.url, image.cid]));
  const rewritten = images.length ? await work.rewriteImageRefs(found.html, cids) : found.html;
  return { ...item, html: rewritten, images: [...item.images, ...images] };
}
