/**
 * Finds the images of an entry's HTML and rewrites their references. Pure, synchronous CPU work with no
 * top-level side effects, so the worker pool can run it (`FIND_IMAGES_TASK`, `REWRITE_IMAGE_REFS_TASK`)
 * as well as the event loop.
 * @module
 */
import { type HtmlDocument, parseHtmlDocument } from "./parse_html.ts";
import { sanitizeTree } from "./sanitize.ts";
import { bestCandidate, parseSrcset } from "./srcset.ts";

/**
 * What `findImages` returns: the sanitised HTML, every `<img>` pointing at one absolute URL, and the
 * distinct http(s) image URLs in order of first appearance.
 *
 * @example
 * ```ts
 * const found: FoundImages = { html: '<img src="https://example.org/a.png">', urls: ["https://example.org/a.png"] };
 * ```
 */
export interface FoundImages {
  html: string;
  urls: string[];
}

/** Attributes lazy-loading scripts keep the real image URL in, in order of preference. */
const LAZY_SRC = ["data-src", "data-lazy-src", "data-original"];
const LAZY_SRCSET = ["srcset", "data-srcset", "data-lazy-srcset"];
/** Attributes that only matter to a browser's loader; useless (or misleading) once the image is inline. */
const LOADER_ATTRIBUTES = [...LAZY_SRC, ...LAZY_SRCSET, "sizes", "loading"];

/**
 * Sanitises `html` (see `sanitizeTree`) and normalises its images: lazy `data-src` / `data-lazy-src` /
 * `data-original` are promoted to `src`; of a `srcset` only the best candidate is kept, as `src`;
 * `<picture>` sources are dropped in favour of their `<img>`; image and link URLs are resolved against
 * `<base href>` (when present) and `baseUrl`. Returns the HTML and the distinct http(s) image URLs
 * (`data:` images stay as they are and are not listed).
 *
 * @example
 * ```ts
 * import { findImages } from "./html_images.ts";
 * const found = findImages('<p><img data-src="a.png" src="spacer.gif"></p>', "https://example.org/post/");
 * found.html; // '<p><img src="https://example.org/post/a.png"></p>'
 * found.urls; // ["https://example.org/post/a.png"]
 * ```
 */
export function findImages(html: string, baseUrl: string): FoundImages {
  const document = parseHtmlDocument(html);
  const base = documentBase(document, baseUrl);
  sanitizeTree(document);
  for (const source of [...document.querySelectorAll("picture source")]) source.remove();

  const urls = new Set<string>();
  for (const img of [...document.querySelectorAll("img")]) {
    const srcset = LAZY_SRCSET.map((a) => img.getAttribute(a)).find((v) => v?.trim());
    const lazy = LAZY_SRC.map((a) => img.getAttribute(a)).find((v) => v?.trim());
    const chosen = (srcset ? bestCandidate(parseSrcset(srcset))?.url : undefined) ?? lazy ??
      img.getAttribute("src") ?? undefined;
    for (const a of LOADER_ATTRIBUTES) img.removeAttribute(a);
    if (!chosen?.trim()) continue;
    const absolute = resolve(chosen.trim(), base);
    img.setAttribute("src", absolute ?? chosen);
    if (absolute && /^https?:/i.test(absolute)) urls.add(absolute);
  }
  for (const a of [...document.querySelectorAll("a[href]")]) {
    const href = a.getAttribute("href")!;
    if (href.startsWith("#")) continue; // in-page anchors stay in-page
    const absolute = resolve(href, base);
    if (absolute) a.setAttribute("href", absolute);
  }
  return { html: document.body.innerHTML, urls: [...urls] };
}

/**
 * Points every `<img>` whose `src` is a key of `cids` (absolute URLs, as `findImages` wrote them) at the
 * inline part: `src="cid:<cid>"`. Other images keep their remote URL. Pass HTML `findImages` returned.
 *
 * @example
 * ```ts
 * import { rewriteImageRefs } from "./html_images.ts";
 * rewriteImageRefs('<img src="https://e.org/a.png">', { "https://e.org/a.png": "img.1f2e@sluice" });
 * // '<img src="cid:img.1f2e@sluice">'
 * ```
 */
export function rewriteImageRefs(html: string, cids: Record<string, string>): string {
  if (Object.keys(cids).length === 0) return html;
  // Text cannot hide an `<img` in linkedom's serialisation (text escapes `<`), only comments and raw-text
  // elements can: without those, the tags are rewritten in place instead of parsing a second DOM per entry.
  if (!RAW_TEXT.test(html)) return rewriteSerialized(html, cids);
  const document = parseHtmlDocument(html);
  for (const img of [...document.querySelectorAll("img[src]")]) {
    const cid = Object.hasOwn(cids, img.getAttribute("src")!) ? cids[img.getAttribute("src")!] : undefined;
    if (cid) img.setAttribute("src", `cid:${cid}`);
  }
  return document.body.innerHTML;
}

/** Where `<img` may be text rather than a tag (then the DOM path is taken). */
const RAW_TEXT =
  /<!|<(?:script|style|textarea|title|xmp|noscript|template|iframe|noembed|noframes|plaintext)\b/i;
/** An `<img>` tag as linkedom writes it: attribute values always in double quotes, `"` as `&quot;`. */
const IMG_TAG = /<img\b(?:[^>"]|"[^"]*")*>/gi;
/** One attribute of such a tag: name, then the quoted value if any. */
const ATTRIBUTE = /(\s)([^\s="'>/]+)(?:="([^"]*)")?/g;

/** `rewriteImageRefs` on HTML that linkedom serialised: only the `src` values of `<img>` tags change. */
function rewriteSerialized(html: string, cids: Record<string, string>): string {
  return html.replace(
    IMG_TAG,
    (tag) =>
      tag.replace(ATTRIBUTE, (attr, space: string, name: string, value: string | undefined) => {
        if (value === undefined || name.toLowerCase() !== "src") return attr;
        const url = value.replaceAll("&quot;", '"').replaceAll("&amp;", "&");
        const cid = Object.hasOwn(cids, url) ? cids[url] : undefined;
        return cid ? `${space}src="cid:${cid.replaceAll('"', "&quot;")}"` : attr;
      }),
  );
}

/**
 * How the worker pool names `findImages`: `pool.run(FIND_IMAGES_TASK, [html, baseUrl])`.
 *
 * @example
 * ```ts
 * import { FIND_IMAGES_TASK } from "./html_images.ts";
 * FIND_IMAGES_TASK.export; // "findImages"
 * ```
 */
export const FIND_IMAGES_TASK: { readonly module: string; readonly export: "findImages" } = {
  module: import.meta.url,
  export: "findImages",
};

/**
 * How the worker pool names `rewriteImageRefs`: `pool.run(REWRITE_IMAGE_REFS_TASK, [html, cids])`.
 *
 * @example
 * ```ts
 * import { REWRITE_IMAGE_REFS_TASK } from "./html_images.ts";
 * REWRITE_IMAGE_REFS_TASK.export; // "rewriteImageRefs"
 * ```
 */
export const REWRITE_IMAGE_REFS_TASK: { readonly module: string; readonly export: "rewriteImageRefs" } = {
  module: import.meta.url,
  export: "rewriteImageRefs",
};

function documentBase(document: HtmlDocument, baseUrl: string): string {
  const href = document.querySelector("base[href]")?.getAttribute("href")?.trim();
  return (href && resolve(href, baseUrl)) || baseUrl;
}

function resolve(url: string, base: string): string | undefined {
  try {
    return new URL(url, base || undefined).href;
  } catch {
    return undefined;
  }
}
