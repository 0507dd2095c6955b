/**
 * Turns an entry's remote images into inline `cid:` parts: find the images in the HTML (sanitising it on
 * the way), fetch each distinct one once per run through an `ImageCache`, attach the ones that arrived and
 * point the HTML at them. Images that fail stay remote links.
 * @module
 */
import type { EntryItem, InlineImage } from "./types.ts";
import { ImageCache, type ImageCacheOptions } from "../lib/html/image_cache.ts";
import {
  FIND_IMAGES_TASK,
  findImages,
  type FoundImages,
  REWRITE_IMAGE_REFS_TASK,
  rewriteImageRefs,
} from "../lib/html/html_images.ts";
import {
  resolveStageOptions,
  type Stage,
  type StageContext,
  type StageFactory,
} from "../engine/pipeline/mod.ts";
import { AutoPlacement, measureBlocking } from "../engine/placement/auto_placement.ts";
import { yieldWhenBusy } from "../engine/placement/loop_slice.ts";

export { ImageCache, type ImageCacheOptions, type ImageCacheStats } from "../lib/html/image_cache.ts";
export {
  FIND_IMAGES_TASK,
  findImages,
  type FoundImages,
  REWRITE_IMAGE_REFS_TASK,
  rewriteImageRefs,
} from "../lib/html/html_images.ts";
export { type SniffedImage, sniffImageType } from "../lib/html/sniff.ts";

/**
 * Where the HTML work runs. The defaults run on the calling thread; the runner can pass functions that
 * send the same work to the worker pool (`FIND_IMAGES_TASK`, `REWRITE_IMAGE_REFS_TASK`).
 *
 * @example
 * ```ts
 * import { WorkerPool } from "../engine/kernel/worker_pool.ts";
 * import { FIND_IMAGES_TASK, type FoundImages, REWRITE_IMAGE_REFS_TASK } from "./rewrite_images.ts";
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
 * import { ImageCache, rewriteEntryImages } from "./rewrite_images.ts";
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

/** Options of the `rewrite-images` stage. */
export interface RewriteImagesOptions extends ImageCacheOptions {
  /** Skip images entirely (the HTML is still sanitised). */
  disabled?: boolean;
}

/**
 * The `rewrite-images` stage: image downloads on the event loop through one cache shared by the whole
 * run; the HTML work (parse, sanitise, find images, rewrite) where its placement says. The default,
 * `auto`, times the HTML work of the first entries on the loop and moves it to the worker pool when an
 * entry blocks the loop for more than a few milliseconds (typical entries take well under one, and a
 * pool round trip per entry would cost more than it saves); `pool` and `loop` force either.
 *
 * @example
 * ```ts
 * const r = rewriteImages({ concurrency: 16 });
 * ```
 */
export function rewriteImages(opts: RewriteImagesOptions = {}): Stage<EntryItem, EntryItem> {
  const { disabled, ...cacheOptions } = opts;
  let auto: AutoPlacement | undefined;
  // On the loop, a burst of entries would run their HTML work back to back in one event-loop task. The
  // runner yields before each item, so before findImages; the rewrite comes back from image I/O and
  // yields itself.
  const onLoop: HtmlImageWork = {
    findImages: (html, base) => findImages(html, base),
    rewriteImageRefs: async (html, cids) => {
      await yieldWhenBusy();
      return rewriteImageRefs(html, cids);
    },
  };
  const timed: HtmlImageWork = {
    findImages: (html, base) => {
      const { result, blockingMs } = measureBlocking(() => findImages(html, base));
      auto?.record(blockingMs);
      return result;
    },
    rewriteImageRefs: onLoop.rewriteImageRefs,
  };
  const onPool = (ctx: StageContext): HtmlImageWork => ({
    findImages: (html, base) =>
      ctx.pool.run<FoundImages>(FIND_IMAGES_TASK, [html, base], { signal: ctx.signal }),
    rewriteImageRefs: (html, cids) =>
      ctx.pool.run<string>(REWRITE_IMAGE_REFS_TASK, [html, cids], { signal: ctx.signal }),
  });
  const workFor = (ctx: StageContext): HtmlImageWork => {
    if (ctx.placementOverride === "loop" || ctx.placement === "loop") return onLoop;
    if (!auto) return onPool(ctx);
    if (auto.decided === undefined) return timed;
    ctx.placed(auto.decided);
    return auto.decided === "pool" ? onPool(ctx) : onLoop;
  };
  return {
    options: resolveStageOptions({
      name: "rewrite-images",
      placement: "auto",
      concurrency: 256,
      // Enough entries in flight to keep image downloads wide (W1: ~500 at 150 ms), but a short queue in
      // front of them: queued entries are what outlives the young generation while IMAP sets the pace
      // (2x concurrency, the default, held 512 more entries; W3 peak RSS fell 30 MB with 16).
      capacity: 32,
      inType: "EntryItem",
      outType: "EntryItem",
    }, "rewrite-images"),
    body: {
      kind: "transform",
      open: (ctx) => {
        auto = ctx.placement === "auto" ? new AutoPlacement({}) : undefined;
      },
      handle: async (item, ctx) => {
        const cache = ctx.resources.shared("image-cache", () => new ImageCache(cacheOptions));
        const work = workFor(ctx);
        if (disabled) {
          const html = item.html ?? item.entry.html ?? item.entry.summary;
          if (html === undefined) return { one: item };
          return {
            one: {
              ...item,
              html: (await work.findImages(html, item.entry.base ?? item.entry.link ?? item.feed.url)).html,
            },
          };
        }
        const out = await rewriteEntryImages(item, cache, ctx.signal, work);
        ctx.count("images", out.images.length - item.images.length);
        return { one: out };
      },
    },
  };
}

/** The `rewrite-images` stage for YAML. */
export const rewriteImagesStage: StageFactory = {
  name: "rewrite-images",
  description: "sanitises entry HTML, attaches its images inline (cid:) and rewrites the references",
  inType: "EntryItem",
  outType: "EntryItem",
  example: `- use: rewrite-images
  with:
    max-image-size: 2097152
    image-timeout: 10s`,
  options: {
    // Twice the entries in flight: entries with two images (W1) fetch them all in one wave, not two.
    "image-concurrency": { type: "integer", default: 512, min: 1, description: "image downloads at once" },
    "max-image-size": {
      type: "integer",
      default: 5 * 1024 * 1024,
      min: 1,
      description: "largest image in bytes",
    },
    "image-timeout": { type: "duration", default: "20s", description: "time limit per image" },
    disabled: { type: "boolean", default: false, description: "leave images as remote links" },
  },
  defaults: { concurrency: 256, capacity: 32, placement: "auto", onError: "drop" },
  create: (o) =>
    rewriteImages({
      concurrency: o["image-concurrency"] as number,
      maxBytes: o["max-image-size"] as number,
      timeoutMs: o["image-timeout"] as number,
      disabled: o.disabled as boolean,
    }),
};
