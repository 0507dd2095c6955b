/**
 * Turns the remote images of a piece of HTML into inline `cid:` parts: find the images in the HTML (sanitising it on
 * the way), fetch each distinct one once per run through an `ImageCache`, attach the ones that arrived and
 * point the HTML at them. Images that fail stay remote links.
 * @module
 */
import type { ImageCache, InlineImage } from "./image_cache.ts";
import { findImages, type FoundImages, rewriteImageRefs } from "./html_images.ts";
import { escapeAttribute } from "./html_escape.ts";

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
 * `html` sanitised, its images fetched through `cache`, and their `src` rewritten to `cid:` references:
 * the HTML and the images that arrived (images that fail stay remote links). Relative URLs resolve
 * against `baseUrl`. Rejects only when `signal` aborts (with its reason).
 *
 * @example
 * ```ts
 * import { ImageCache } from "./image_cache.ts";
 * import { inlineImages } from "./inline_images.ts";
 * const out = await inlineImages('<img src="cat.png">', "https://example.org/post/1", new ImageCache());
 * out.html; // '<img src="cid:img.…@sluice">' when cat.png arrived, else its absolute URL
 * ```
 */
export async function inlineImages(
  html: string,
  baseUrl: string,
  cache: ImageCache,
  signal?: AbortSignal,
  work: HtmlImageWork = ON_THIS_THREAD,
  attached: string[] = [],
): Promise<{ html: string; images: InlineImage[] }> {
  const found = await findWithAttached(html, baseUrl, work, attached);
  const fetched = await Promise.all(found.urls.map((url) => cache.get(url, signal)));
  signal?.throwIfAborted();
  const images = fetched.filter((image): image is InlineImage => image !== undefined);
  const cids = Object.fromEntries(images.map((image) => [image.url, image.cid]));
  return { html: images.length ? await work.rewriteImageRefs(found.html, cids) : found.html, images };
}

/**
 * `html` sanitised with its images listed; when it shows no image, the `attached` image URLs (the images a
 * feed attaches to an entry outside its HTML: `media:content`, `media:thumbnail`, image enclosures) are
 * added at its end, so a photo or podcast feed's picture still reaches the message.
 *
 * @example
 * ```ts
 * import { findWithAttached } from "./inline_images.ts";
 * import { findImages, rewriteImageRefs } from "./html_images.ts";
 * const found = await findWithAttached("<p>Hi</p>", "https://ex.org/", { findImages, rewriteImageRefs },
 *   ["https://ex.org/t.jpg"]);
 * found.urls; // ["https://ex.org/t.jpg"]
 * ```
 */
export async function findWithAttached(
  html: string,
  baseUrl: string,
  work: HtmlImageWork,
  attached: string[],
): Promise<FoundImages> {
  const found = await work.findImages(html, baseUrl);
  if (found.urls.length > 0 || attached.length === 0) return found;
  const figures = attached.map((url) => `<p><img src="${escapeAttribute(url)}" alt=""></p>`).join("");
  return await work.findImages(found.html + figures, baseUrl);
}
