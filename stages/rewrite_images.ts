/**
 * The `rewrite-images` stage: `lib/html/entry_images.ts` over each entry, with one image cache per run and
 * the HTML work placed on the loop or the worker pool.
 * @module
 */
import type { Attachment, EntryItem } from "./types.ts";
import { fetchEnclosure } from "../lib/http/fetch_enclosure.ts";
import { DEFAULT_ENCLOSURE_MAX } from "../lib/feed/feed_options.ts";
import { findWithAttached, type HtmlImageWork, inlineImages } from "../lib/html/inline_images.ts";
import { DEFAULT_IMAGE_CACHE_OPTIONS, ImageCache, type ImageCacheOptions } from "../lib/html/image_cache.ts";
import {
  FIND_IMAGES_TASK,
  findImages,
  type FoundImages,
  REWRITE_IMAGE_REFS_TASK,
  rewriteImageRefs,
} from "../lib/html/html_images.ts";
import { resolveStageOptions, type Stage, type StageContext } from "../engine/pipeline/mod.ts";
import type { StageFactory } from "../engine/config/stage_factory.ts";
import { AutoPlacement, measureBlocking } from "../engine/placement/auto_placement.ts";
import { yieldWhenBusy } from "../engine/placement/loop_slice.ts";
import type { ArticleHtml } from "../lib/dom/article_html.ts";
import { ConditionalFetcher } from "../lib/feed/conditional_fetcher.ts";
import { withArticle } from "../lib/mime/entry_article.ts";
import { redactUrl } from "../engine/errors.ts";

/**
 * Returns `item` with its HTML sanitised, its images fetched through `cache` and attached as `images`,
 * and their `src` rewritten to `cid:` references (`inlineImages`); when the HTML shows no image, the
 * images the feed attached to the entry (`entry.images`) are added first. The HTML is `item.html`, else the
 * entry's `html`, else its `summary`; relative URLs resolve against the entry's `base` (its `xml:base`, or
 * the feed's URL after redirects when it has no link), else its link, else the feed URL. An item without
 * HTML comes back unchanged. Rejects only when `signal` aborts (with its reason).
 *
 * @example
 * ```ts
 * import { ImageCache } from "../lib/html/mod.ts";
 * import { rewriteEntryImages } from "./rewrite_images.ts";
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
  work?: HtmlImageWork,
): Promise<EntryItem> {
  const html = item.html ?? item.entry.html ?? item.entry.summary;
  const attached = item.entry.images ?? [];
  if (html === undefined && attached.length === 0) return item;
  const base = item.entry.base ?? item.entry.link ?? item.feed.url;
  const inlined = await inlineImages(html ?? "", base, cache, signal, work, attached);
  return { ...item, html: inlined.html, images: [...item.images, ...inlined.images] };
}

/**
 * The entry with its enclosures fetched as attachments, each under the feed's `enclosure-max`; one that
 * is larger or fails stays a link.
 *
 * @example
 * ```ts
 * const item = await attachEnclosures({
 *   feed: { url: "https://example.org/feed.xml", folder: "Pods", options: { enclosures: "attach", enclosureMax: 10 } },
 *   entry: { id: "1", enclosures: [{ url: "https://example.org/ep1.mp3", length: 5_000_000 }] },
 *   images: [],
 * });
 * console.log(item.attachments); // []: larger than the cap, it stays a link
 * ```
 */
export async function attachEnclosures(item: EntryItem, signal?: AbortSignal): Promise<EntryItem> {
  const maxBytes = item.feed.options?.enclosureMax ?? DEFAULT_ENCLOSURE_MAX;
  const attachments: Attachment[] = [];
  for (const enclosure of item.entry.enclosures) {
    const file = await fetchEnclosure(enclosure.url, { maxBytes, declaredLength: enclosure.length, signal });
    if (!file) continue;
    const name = new URL(enclosure.url).pathname.split("/").filter(Boolean).pop() ?? "enclosure";
    attachments.push({
      url: enclosure.url,
      filename: decodeURIComponentSafe(name),
      contentType: file.contentType ?? enclosure.type ?? "application/octet-stream",
      content: file.content,
    });
  }
  return { ...item, attachments };
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
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
      onError: "drop",
      // Images shared by several entries (the cache's) count once per entry: an upper bound.
      bytesOf: (e: EntryItem) => e.images.reduce((sum, image) => sum + image.content.byteLength, 0),
      settings: {
        disabled: disabled ?? false,
        concurrency: cacheOptions.concurrency ?? DEFAULT_IMAGE_CACHE_OPTIONS.concurrency,
        maxBytes: cacheOptions.maxBytes ?? DEFAULT_IMAGE_CACHE_OPTIONS.maxBytes,
        timeoutMs: cacheOptions.timeoutMs ?? DEFAULT_IMAGE_CACHE_OPTIONS.timeoutMs,
        cacheBytes: cacheOptions.cacheBytes ?? DEFAULT_IMAGE_CACHE_OPTIONS.cacheBytes,
      },
    }, "rewrite-images"),
    body: {
      kind: "transform",
      open: (ctx) => {
        auto = ctx.placement === "auto" ? new AutoPlacement({}) : undefined;
      },
      handle: async (input, ctx) => {
        let item = input;
        const cache = ctx.resources.shared("image-cache", () => new ImageCache(cacheOptions));
        const work = workFor(ctx);
        // Only feeds set to `fetch-article` fetch pages; the article's images are then inlined below.
        if (item.feed.options?.fetchArticle && item.entry.link) item = await fetchArticle(item, ctx);
        let out = item;
        if (disabled) {
          const html = item.html ?? item.entry.html ?? item.entry.summary;
          const attached = item.entry.images ?? [];
          if (html !== undefined || attached.length > 0) {
            const base = item.entry.base ?? item.entry.link ?? item.feed.url;
            out = { ...item, html: (await findWithAttached(html ?? "", base, work, attached)).html };
          }
        } else {
          out = await rewriteEntryImages(item, cache, ctx.signal, work);
          ctx.count("images", out.images.length - item.images.length);
        }
        // Only feeds that attach enclosures pay for them (`enclosures: attach` in the feed list).
        if (item.feed.options?.enclosures === "attach" && item.entry.enclosures.length > 0) {
          out = await attachEnclosures(out, ctx.signal);
          ctx.count("enclosures", out.attachments?.length ?? 0);
        }
        return { one: out };
      },
    },
  };
}

/**
 * The entry with the article at its link (`fetch-article`): the page fetched by the run's feed fetcher
 * (its per-host limits, timeouts, size limit and redirects), the article extracted on the worker pool
 * (on the loop when the stage is placed there). A failure keeps the feed's content and logs a warning
 * naming the page.
 */
async function fetchArticle(item: EntryItem, ctx: StageContext): Promise<EntryItem> {
  // The fetch stage made the run's fetcher with its options; a pipeline without one gets the defaults.
  const fetcher = ctx.resources.shared("fetcher", () => new ConditionalFetcher({}));
  const onLoop = ctx.placementOverride === "loop" || ctx.placement === "loop";
  // Loaded here, not at the top: Readability and linkedom take 0.2-0.4 s to load, and only feeds set to
  // `fetch-article` need them.
  const { ARTICLE_HTML_TASK, articleHtml } = await import("../lib/dom/article_html.ts");
  const out = await withArticle(item, {
    fetchPage: (url) => fetcher.fetchPage(url, ctx.signal),
    extract: (body, contentType, url) =>
      onLoop
        ? Promise.resolve(articleHtml(body, contentType, url))
        : ctx.pool.run<ArticleHtml | undefined>(ARTICLE_HTML_TASK, [body, contentType, url], {
          signal: ctx.signal,
        }),
  }, ctx.signal);
  if (out.article?.fallback !== undefined) {
    ctx.count("articleFallbacks");
    ctx.log(
      "warn",
      `article of ${
        redactUrl(out.article.url)
      } not fetched, the feed's content is sent: ${out.article.fallback}`,
      {
        feed: redactUrl(item.feed.url),
      },
    );
  } else if (out.article) ctx.count("articles");
  return out;
}

/** The `rewrite-images` stage for YAML. */
export const rewriteImagesStage: StageFactory = {
  name: "rewrite-images",
  description: "sanitises entry HTML, attaches its images inline (cid:) and rewrites the references",
  inType: "EntryItem",
  outType: "EntryItem",
  placements: ["auto", "loop", "pool"],
  placementNote: "its image downloads run on the event loop through the run's image cache; its HTML work " +
    "runs on the loop, on the worker pool, or `auto` (measured, then moved)",
  example: `- use: rewrite-images
  with:
    max-image-size: 2097152
    image-timeout: 10s`,
  options: {
    "image-concurrency": {
      type: "integer",
      default: DEFAULT_IMAGE_CACHE_OPTIONS.concurrency,
      min: 1,
      description: "image downloads at once",
    },
    "max-image-size": {
      type: "integer",
      default: DEFAULT_IMAGE_CACHE_OPTIONS.maxBytes,
      min: 1,
      description: "largest image in bytes",
    },
    "image-timeout": {
      type: "duration",
      default: `${DEFAULT_IMAGE_CACHE_OPTIONS.timeoutMs / 1000}s`,
      description: "time limit per image",
    },
    disabled: { type: "boolean", default: false, description: "leave images as remote links" },
  },
  create: (o) =>
    rewriteImages({
      concurrency: o["image-concurrency"] as number,
      maxBytes: o["max-image-size"] as number,
      timeoutMs: o["image-timeout"] as number,
      disabled: o.disabled as boolean,
    }),
};
